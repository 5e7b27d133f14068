"""The kinds of companies and segments: a company made or changed, a member put in or taken out of
one, a segment made, changed or removed. Nobody is told of them: the audit log keeps them, with the
source of a company's values (a staff edit, the API, a CSV import, the product's signed token,
whose actor is the member it signed in)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..registry import Payload, PriorityScope
from .common import Created, Updated, register_audited, register_created, register_updated

if TYPE_CHECKING:
    from ...models import Company, Segment, User


@dataclass(frozen=True)
class CompanyChanged:
    """`actor` made or changed `company` through `source`: `before` and `after` hold the values that
    changed (name and attributes by name; None before: there was none, None after: removed)."""

    actor: User
    company: Company
    source: str
    before: Payload
    after: Payload


class CompanyCreated(CompanyChanged):
    """A company is known from now on."""


class CompanyUpdated(CompanyChanged):
    """A company's name or attributes changed."""


register_audited("company_created", CompanyCreated, "company.created",
                 lambda event: (event.company, {}, {**event.after, "source": event.source}))
register_audited("company_updated", CompanyUpdated, "company.updated",
                 lambda event: (event.company, event.before, {**event.after, "source": event.source}),
                 lambda event: PriorityScope(company_id=event.company.id))


@dataclass(frozen=True)
class CompanyMembershipChanged:
    """`member` now belongs to the company with external id `after` (None: to none), having belonged
    to `before`."""

    actor: User
    member: User
    source: str
    before: str | None
    after: str | None


register_audited("company_membership", CompanyMembershipChanged, "member.company_changed",
                 lambda event: (event.member, {"company": event.before},
                                {"company": event.after, "source": event.source}),
                 lambda event: PriorityScope(member_id=event.member.id))


def segment_view(segment: Segment) -> Payload:
    """What the audit log keeps of a segment: its name, how its rules combine, the rules."""
    return {"name": segment.name, "match": segment.match, "rules": segment.rules}


class SegmentCreated(Created["Segment"]):
    """An admin saved a new segment."""


class SegmentUpdated(Updated["Segment"]):
    """An admin renamed a segment or changed its rules."""


@dataclass(frozen=True)
class SegmentDeleted:
    """An admin removed `segment`, which was `before` (its segment_view)."""

    actor: User
    segment: Segment
    before: Payload


register_created("segment_created", SegmentCreated, "segment.created", segment_view)
register_updated("segment_updated", SegmentUpdated, "segment.updated", segment_view)
register_audited("segment_deleted", SegmentDeleted, "segment.deleted",
                 lambda event: (event.segment, event.before, None))
