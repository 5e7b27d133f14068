"""Limits keyed on one email address, whichever network the requests come from.

Per-address rate limits (ideas/extensions.py) stop one client; they do nothing against thirty
addresses guessing one account's password. So wrong passwords are counted per account too, with
a growing pause that stops at 15 minutes: long enough to make guessing hopeless, short enough
that nobody can lock an admin out for long (sign-in codes and reset links work meanwhile). And
reset emails are capped per recipient, so nobody can flood someone's inbox from many addresses:
the worker counts that cap when it sends (ideas/account_emails.py), after the request has
queued the email the same way for any address.

Keys are hashes of the normalised address, counted whether or not an account uses it: the
answers and the work are the same for both, so a throttle reveals nothing.
"""
import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select, update

from .database import insert_ignore
from .extensions import db
from .models import Throttle, utcnow

# Wrong passwords an account takes before pauses begin; the first pause, doubled with each
# further wrong password, up to the longest.
FREE_GUESSES = 5
FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(minutes=15)
# A day after the first wrong password of a run, the count starts again.
GUESS_WINDOW = timedelta(days=1)
RESET_EMAILS_PER_HOUR = 3


def _key(kind: str, email: str) -> str:
    normalised = (email or "").strip().lower()
    return f"{kind}:{hashlib.sha256(normalised.encode()).hexdigest()}"


def _row(key: str) -> Throttle | None:
    return db.session.execute(select(Throttle).where(Throttle.key == key)).scalar_one_or_none()


def sign_in_pause(email: str, now: datetime | None = None) -> timedelta | None:
    """How long before a password may be tried for `email` again; None when it may be now."""
    now = now or utcnow()
    row = _row(_key("password", email))
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return None
    return row.blocked_until - now


def pause_after(wrong_guesses: int) -> timedelta | None:
    """The pause that follows the `wrong_guesses`-th wrong password in a row."""
    if wrong_guesses < FREE_GUESSES:
        return None
    return min(FIRST_PAUSE * 2 ** min(wrong_guesses - FREE_GUESSES, 20), LONGEST_PAUSE)


def record_wrong_password(email: str, now: datetime | None = None) -> None:
    """Count a wrong password for `email` and start the pause it earns."""
    hits = _hit(_key("password", email), GUESS_WINDOW, now or utcnow())
    pause = pause_after(hits)
    if pause is not None:
        db.session.execute(update(Throttle).where(Throttle.key == _key("password", email))
                           .values(blocked_until=(now or utcnow()) + pause))


def forget_wrong_passwords(email: str) -> None:
    """A right password (or a password reset) starts the count again."""
    db.session.execute(update(Throttle).where(Throttle.key == _key("password", email))
                       .values(hits=0, blocked_until=None))


def may_send_reset_email(email: str, now: datetime | None = None) -> bool:
    """Count one reset email to `email`; False once this hour's allowance is spent (the worker
    asks, once per queued email, just before it would send)."""
    return _hit(_key("reset", email), timedelta(hours=1), now or utcnow()) <= RESET_EMAILS_PER_HOUR


def _hit(key: str, window: timedelta, now: datetime) -> int:
    """Add one to the count under `key` (a new window once the last one is over); the new count."""
    insert_ignore(Throttle, key=key, hits=0, window_started_at=now)
    db.session.execute(update(Throttle).where(Throttle.key == key, Throttle.window_started_at <= now - window)
                       .values(hits=0, window_started_at=now, blocked_until=None))
    # One atomic step, so two guesses at once are both counted.
    return db.session.execute(update(Throttle).where(Throttle.key == key)
                              .values(hits=Throttle.hits + 1).returning(Throttle.hits)).scalar_one()
