"""Who asks for an idea and how much it matters to them: the demand staff weigh it by. Grouped
queries over many ideas at once (the priority worker reads a batch; the idea page one idea), so
a page or a batch costs the same number of queries whatever its size. Staff only: what comes
out of here names companies and their revenue. Nothing here knows HTTP.
"""
from collections.abc import Collection
from decimal import Decimal

from sqlalchemy import Select, case, func, select

from .company_values import REVENUE
from .models import CompanyAttribute, CompanyMember, Vote

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
