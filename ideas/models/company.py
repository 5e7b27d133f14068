"""Customers' companies, what is known of them and where it came from, and the admins' segments
(saved filters over members and their companies). The rules are ideas/companies.py and
ideas/segments.py."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow
from .user import User

# Who set a value: the signed token from the product, the API, a CSV import, a staff member's edit.
SOURCES = ("token", "api", "csv", "staff")
EXTERNAL_ID_MAX = 255  # the token's company.id may be this long (ideas.product_tokens)
COMPANY_NAME_MAX = 255
ATTRIBUTE_NAME_MAX = 64
ATTRIBUTE_TEXT_MAX = 1000
# Numbers (monthly revenue among them) keep four decimal places and 14 digits before the point.
NUMBER_DIGITS, NUMBER_PLACES = 18, 4
SEGMENT_NAME_MAX = 80
SEGMENT_MATCHES = ("all", "any")

_SOURCE_VALID = f"source IN {SOURCES!r}"


class Company(Model):
    """A customer's company, known by the id the company's own systems give it (`external_id`).

    Its name, like each attribute, remembers who set it and when: the latest write wins, whatever
    its source, and the company page shows where each value came from."""

    __tablename__ = "companies"
    __table_args__ = (CheckConstraint(f"name_source IN {SOURCES!r}", name="name_source_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(COMPANY_NAME_MAX))
    name_source: Mapped[str] = mapped_column(String(10))
    name_set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attributes: Mapped[list["CompanyAttribute"]] = relationship(
        order_by="CompanyAttribute.name", cascade="all, delete-orphan", passive_deletes=True,
        back_populates="company")

    def __repr__(self) -> str:
        return f"<Company {self.id} {self.external_id}>"


class CompanyAttribute(Model):
    """One named value of a company (plan, monthly_revenue, seats…), with its source and time.

    `text_value` holds every value as text (a number as its plain digits), so "plan is
    Enterprise" and "seats is 40" compare alike; `number_value` holds numbers too, for "monthly
    revenue ≥ 1000". Names are lower-case words joined by "_" (ideas.company_values)."""

    __tablename__ = "company_attributes"
    __table_args__ = (CheckConstraint(_SOURCE_VALID, name="source_valid"),)

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(ATTRIBUTE_NAME_MAX), primary_key=True)
    text_value: Mapped[str] = mapped_column(String(ATTRIBUTE_TEXT_MAX))
    number_value: Mapped[Decimal | None] = mapped_column(Numeric(NUMBER_DIGITS, NUMBER_PLACES))
    source: Mapped[str] = mapped_column(String(10))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company: Mapped[Company] = relationship(back_populates="attributes")


class CompanyMember(Model):
    """A member's company. The member is the primary key: a member belongs to one company at most."""

    __tablename__ = "company_members"
    __table_args__ = (CheckConstraint(_SOURCE_VALID, name="source_valid"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    company: Mapped[Company] = relationship(lazy="joined", innerjoin=True)


class Segment(Model):
    """A saved filter over members and their companies, made by admins: `rules` is a JSON list of
    {"field", "operator", "value"}, and a member is in the segment when `all` or `any` of them
    hold (ideas.segments.segment_clause)."""

    __tablename__ = "segments"
    __table_args__ = (CheckConstraint(f"match IN {SEGMENT_MATCHES!r}", name="match_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(SEGMENT_NAME_MAX), unique=True)
    match: Mapped[str] = mapped_column(String(3), default="all")
    rules: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Segment {self.id} {self.name}>"
