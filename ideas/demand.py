"""Who asks for an idea and how much it matters to them: the demand staff weigh it by. Grouped
queries over many ideas at once (the priority worker reads a batch; the idea page one idea), so
a page or a batch costs the same number of queries whatever its size; `demand_of` gathers one
idea's for the staff panel and the API. Staff only: what comes out of here names companies and
their revenue. Nothing here knows HTTP.
"""
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, case, func, select

from .company_values import REVENUE
from .extensions import db
from .models import IMPORTANCES, Company, CompanyAttribute, CompanyMember, Segment, User, Vote, utcnow
from .segments import all_segments, segment_clause

# What each importance weighs in a priority score; a vote that said none weighs nothing more.
IMPORTANCE_POINTS = {"nice_to_have": 1, "important": 2, "critical": 3}
importance_points_of_vote = case(IMPORTANCE_POINTS, value=Vote.importance, else_=0)


def importance_points(idea_ids: Collection[int]) -> Select[int, int]:
    """(idea_id, points) rows: the sum of IMPORTANCE_POINTS over each idea's votes; ideas nobody
    said anything of are left out."""
    return (select(Vote.idea_id, func.sum(importance_points_of_vote))
            .where(Vote.idea_id.in_(idea_ids), Vote.importance.is_not(None))
            .group_by(Vote.idea_id))


def backing_companies(idea_ids: Collection[int]) -> Select[int, int]:
    """(idea_id, company_id) rows: each company one of whose members backs the idea, once."""
    return (select(Vote.idea_id, CompanyMember.company_id).distinct()
            .join(CompanyMember, CompanyMember.user_id == Vote.user_id)
            .where(Vote.idea_id.in_(idea_ids)))


def revenue_at_stake(idea_ids: Collection[int]) -> Select[int, Decimal]:
    """(idea_id, revenue) rows: the monthly revenue of the companies behind each idea, each
    company counted once however many of its members back it; ideas no paying company backs are
    left out."""
    behind = backing_companies(idea_ids).subquery()
    return (select(behind.c.idea_id, func.sum(CompanyAttribute.number_value))
            .join(CompanyAttribute, (CompanyAttribute.company_id == behind.c.company_id)
                  & (CompanyAttribute.name == REVENUE))
            .where(CompanyAttribute.number_value.is_not(None))
            .group_by(behind.c.idea_id))


# One idea's demand, as the staff panel and the API show it.

COMPANIES_SHOWN = 50  # companies listed on one idea; the panel says how many there are in all


@dataclass(frozen=True)
class BackingCompany:
    """A company behind an idea: how many of its members back it, and its monthly revenue (None:
    not known)."""

    id: int
    external_id: str
    name: str
    backers: int
    monthly_revenue: Decimal | None


@dataclass(frozen=True)
class SegmentVotes:
    """How many of an idea's backers a segment holds."""

    id: int
    name: str
    votes: int


@dataclass(frozen=True)
class Demand:
    """Who asks for one idea and how much it matters to them.

    `importance` is (importance, votes) for critical, important, nice to have and then None (not
    said), every one present; `companies` the first COMPANIES_SHOWN companies behind the idea, most
    revenue first, of `company_count`; `revenue_at_stake` counts each company once."""

    idea_id: int
    votes: int
    importance: tuple[tuple[str | None, int], ...]
    companies: tuple[BackingCompany, ...]
    company_count: int
    revenue_at_stake: Decimal
    segments: tuple[SegmentVotes, ...]


SPREAD_ORDER: tuple[str | None, ...] = (*reversed(IMPORTANCES), None)  # most important first


def demand_of(idea_id: int, now: datetime | None = None) -> Demand:
    """The demand for one idea in four statements whatever its backers, companies and segments:
    the segments, one pass over the votes (counts per importance and per segment), the companies
    behind it, and their revenue."""
    segments = list(db.session.execute(all_segments()).scalars())
    counts = _vote_counts(idea_id, segments, now or utcnow())
    votes, spread, per_segment = counts[0], counts[1:1 + len(SPREAD_ORDER)], counts[1 + len(SPREAD_ORDER):]
    companies = db.session.execute(_companies_behind(idea_id).limit(COMPANIES_SHOWN)).all()
    revenue = db.session.execute(revenue_at_stake([idea_id])).first()
    return Demand(
        idea_id=idea_id, votes=votes,
        importance=tuple(zip(SPREAD_ORDER, spread, strict=True)),
        companies=tuple(BackingCompany(row.id, row.external_id, row.name, row.backers, row.monthly_revenue)
                        for row in companies),
        company_count=companies[0].total if companies else 0,
        revenue_at_stake=Decimal(revenue[1]) if revenue is not None else Decimal(0),
        segments=tuple(SegmentVotes(segment.id, segment.name, count)
                       for segment, count in zip(segments, per_segment, strict=True)),
    )


def _vote_counts(idea_id: int, segments: Sequence[Segment], now: datetime) -> tuple[int, ...]:
    """(votes, votes per importance of SPREAD_ORDER..., votes per segment...) in one pass over
    the idea's votes and their voters."""
    spread = [func.count().filter(Vote.importance.is_(None) if importance is None
                                  else Vote.importance == importance) for importance in SPREAD_ORDER]
    per_segment = [func.count().filter(segment_clause(segment, now)) for segment in segments]
    row = db.session.execute(
        select(func.count(), *spread, *per_segment).select_from(Vote).join(User, User.id == Vote.user_id)
        .where(Vote.idea_id == idea_id)).one()
    return tuple(row)


def _companies_behind(idea_id: int) -> Select[int, str, str, int, Decimal | None, int]:
    """The companies whose members back the idea, each once with its number of backers, its
    monthly revenue (null: not known) and how many companies there are in all; most revenue
    first, then most backers."""
    revenue = CompanyAttribute.number_value
    return (select(Company.id, Company.external_id, Company.name, func.count().label("backers"),
                   revenue.label("monthly_revenue"), func.count().over().label("total"))
            .select_from(Vote)
            .join(CompanyMember, CompanyMember.user_id == Vote.user_id)
            .join(Company, Company.id == CompanyMember.company_id)
            .outerjoin(CompanyAttribute, (CompanyAttribute.company_id == Company.id)
                       & (CompanyAttribute.name == REVENUE))
            .where(Vote.idea_id == idea_id)
            .group_by(Company.id, Company.external_id, Company.name, revenue)
            .order_by(revenue.desc().nulls_last(), func.count().desc(), func.lower(Company.name), Company.id))
