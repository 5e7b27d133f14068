"""Boards: communities of their own on one site, each with its ideas, roadmap and feed, and who may
see them. The main board is no row: ideas whose `board_id` is NULL are on it, and it is the site's
home page (`/`), open to whoever may use the site. The rules are ideas/boards.py (what admins
change) and ideas/visibility.py (who sees which board)."""
from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .company import Company, Segment
from .mixins import link_table
from .types import UTCDateTime, utcnow
from .user import User

# public: everyone who may use the site; members: signed-in members; chosen: members of the
# board's segments or companies (and staff); staff: the team only.
BOARD_ACCESS = ("public", "members", "chosen", "staff")
BOARD_SLUG_MAX = 40
BOARD_NAME_MAX = 60
BOARD_DESCRIPTION_MAX = 2_000

board_segments = link_table("board_segments", ("board_id", "boards.id"), ("segment_id", "segments.id"))
board_companies = link_table("board_companies", ("board_id", "boards.id"), ("company_id", "companies.id"))
# Members who may hide, tag and merge ideas of this board, nothing more.
board_moderators = link_table("board_moderators", ("board_id", "boards.id"), ("user_id", "users.id"))


class Board(Model):
    __tablename__ = "boards"
    __table_args__ = (CheckConstraint(f"access IN {BOARD_ACCESS!r}", name="access_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(BOARD_SLUG_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(BOARD_NAME_MAX), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    access: Mapped[str] = mapped_column(String(10), default="public")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    segments: Mapped[list[Segment]] = relationship(secondary=board_segments, order_by=Segment.name)
    companies: Mapped[list[Company]] = relationship(secondary=board_companies, order_by=Company.name)
    moderators: Mapped[list[User]] = relationship(secondary=board_moderators, order_by=User.name)

    def __repr__(self) -> str:
        return f"<Board {self.slug}>"
