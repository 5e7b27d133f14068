"""The promise an admin may state on the accountability page: "we answer every idea within N
days" (ideas/accountability.py measures it). A site setting, changed by admins, kept in the audit
log."""
from flask_babel import gettext as _

from . import audit
from .errors import InvalidInput
from .events import AnswerPromiseChanged
from .events.publish import publish
from .models import User
from .site_settings import get_setting, set_setting

PROMISE_MAX = 365
SETTING = "answer_promise_days"


def promise_days() -> int | None:
    """The days within which the team promises to answer every idea, or None (no promise)."""
    stored = get_setting(SETTING)
    return int(stored) if stored.isascii() and stored.isdigit() else None


def set_promise(actor: User, typed: str | None) -> int | None:
    """State the promise in days (1 to PROMISE_MAX), or withdraw it with nothing typed; admins
    only, kept in the audit log. Returns the promise now."""
    audit.require_admin(actor)
    typed = (typed or "").strip()
    days = None
    if typed:
        if not (typed.isascii() and typed.isdigit() and len(typed) <= 3 and 1 <= int(typed) <= PROMISE_MAX):
            raise InvalidInput(_("The promise was not saved."), {"days": _(
                "Type a whole number of days from 1 to %(most)s, or nothing for no promise.",
                most=PROMISE_MAX)})
        days = int(typed)
    before = promise_days()
    if days != before:
        set_setting(SETTING, "" if days is None else str(days))
        publish(AnswerPromiseChanged(actor, {"days": before}, {"days": days}))
    return days
