"""The audit log: every staff action, with who, what, when, before and after."""
import json
from typing import Any

from sqlalchemy import Select, select

from flask_babel import gettext as _

from .errors import NotAllowed
from .extensions import db
from .models import AuditEntry, utcnow
from .visibility import moderates


def require_staff(actor: Any) -> None:
    """Raise unless `actor` is staff or an admin."""
    if not (actor.is_authenticated and actor.is_staff):
        raise NotAllowed(_("Only the product team may do that."))


def require_moderator(actor: Any, *ideas: Any) -> None:
    """Raise unless `actor` is staff or moderates the board of every one of `ideas`."""
    if not (actor.is_authenticated and all(moderates(actor, idea) for idea in ideas)):
        raise NotAllowed(_("Only the product team or this board's moderators may do that."))


def require_admin(actor: Any) -> None:
    """Raise unless `actor` is an admin."""
    if not (actor.is_authenticated and actor.is_admin):
        raise NotAllowed(_("Only admins may do that."))


def record(actor: Any, action: str, target: Any, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditEntry:
    """Write one audit entry; `target` is a model instance (or None for site-wide changes).

    A rule publishes an event instead, whose kind declares its AuditEntry (ideas/events/): publish()
    calls this."""
    entry = AuditEntry(
        actor_id=actor.id,
        action=action,
        target_type=type(target).__tablename__ if target is not None else "site",
        target_id=getattr(target, "id", None) if target is not None else None,
        before=json.dumps(before or {}, default=str, sort_keys=True),
        after=json.dumps(after or {}, default=str, sort_keys=True),
        created_at=utcnow(),
    )
    db.session.add(entry)
    return entry


def audit_entries() -> Select[Any]:
    """A select of the log, newest first."""
    return select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
