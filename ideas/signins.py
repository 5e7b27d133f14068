"""Signed-in sessions: one row per browser or device a member signed in on. Nothing here knows HTTP.

A session's key (what Flask-Login keeps in the session cookie and the remember-me cookie) is the
row's id and a random secret; the row keeps only the secret's SHA-256. Every request looks the row
up, so ending a row signs that device out at once, copied cookies included. The secret ends with
the time the session runs out, so a key whose row is gone tells whether it was ended early (the
browser is told why, see ended_early) or ran out and was tidied away. A session lasts
`REMEMBER_DAYS` at most (the remember-me cookie carries no date of its own: the row is its only
expiry), and "last seen" is written at most every `SEEN_EVERY`, so reading pages stays read-only.
"""
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, delete, select, update

from .extensions import db
from .models import SignedInSession, User, utcnow

SEEN_EVERY = timedelta(minutes=5)
USER_AGENT_MAX = 255
# The end of a key: ".<when the session runs out, in seconds since 1970>".
_KEY_ENDS = re.compile(r"\.(\d{1,11})$")


@dataclass(frozen=True)
class Found:
    """The member behind a session key, and whether its "last seen" is due to be written."""

    member: User
    session_id: int
    remember: bool
    seen_due: bool


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def lifetime() -> timedelta:
    return timedelta(days=current_app.config["REMEMBER_DAYS"])


def start(member: User, remember: bool = False, user_agent: str = "",
          now: datetime | None = None) -> str:
    """Open a session for `member` on one device; returns its key (set on `member` too).

    The member's sessions that have run out are removed on the way: the table holds only live ones."""
    now = now or utcnow()
    db.session.execute(delete(SignedInSession).where(SignedInSession.user_id == member.id,
                                                     SignedInSession.expires_at <= now))
    expires_at = now + lifetime()
    secret = f"{secrets.token_urlsafe(32)}.{int(expires_at.timestamp())}"
    row = SignedInSession(user_id=member.id, secret_hash=_hash(secret), remember=remember,
                          user_agent=(user_agent or "")[:USER_AGENT_MAX], created_at=now,
                          last_seen_at=now, expires_at=expires_at)
    db.session.add(row)
    db.session.flush()
    member.session_key = f"{row.id}:{secret}"
    return member.session_key


def find(key: str | None, now: datetime | None = None) -> Found | None:
    """The member whose live session `key` names, or None (unknown, ended, run out, suspended)."""
    session_id, _, secret = (key or "").partition(":")
    if not session_id.isdigit() or len(session_id) > 18 or not secret:
        return None
    now = now or utcnow()
    found = db.session.execute(
        select(SignedInSession.secret_hash, SignedInSession.expires_at, SignedInSession.last_seen_at,
               SignedInSession.remember, User)
        .join(User, User.id == SignedInSession.user_id)
        .where(SignedInSession.id == int(session_id))).first()
    if found is None:
        return None
    secret_hash, expires_at, last_seen_at, remember, member = found
    if not hmac.compare_digest(secret_hash, _hash(secret)) or expires_at <= now:
        return None
    if member.suspended_at is not None:  # a suspension ends sessions already open
        return None
    member.session_key = key
    return Found(member, int(session_id), remember, seen_due=last_seen_at <= now - SEEN_EVERY)


def ended_early(key: str | None, now: datetime | None = None) -> bool:
    """Whether `key`, which `find` refused, names a session ended before it ran out: signed out from
    another browser, everywhere, or by a password change. Its row is gone (or its id is another
    session's now: SQLite may give a deleted row's id again) while the key says it had time left.
    Not so for a session that ran out (its row kept, or removed since), a suspended member, or a
    key from before keys carried their end. The end is read from the key, so a key that ran out
    costs nothing; any other, one read by primary key."""
    session_id = session_id_of(key)
    ends = _KEY_ENDS.search(key or "")
    if session_id is None or ends is None or int(ends.group(1)) <= (now or utcnow()).timestamp():
        return False
    secret_hash = db.session.execute(
        select(SignedInSession.secret_hash).where(SignedInSession.id == session_id)).scalar()
    return secret_hash is None or not hmac.compare_digest(secret_hash, _hash((key or "").partition(":")[2]))


def mark_seen(session_id: int, now: datetime | None = None) -> None:
    """Note that the session was used just now."""
    db.session.execute(update(SignedInSession).where(SignedInSession.id == session_id)
                       .values(last_seen_at=now or utcnow()))


def sessions_of(member: User, now: datetime | None = None) -> list[SignedInSession]:
    """The member's live sessions, the most recently used first."""
    return list(db.session.execute(
        select(SignedInSession)
        .where(SignedInSession.user_id == member.id, SignedInSession.expires_at > (now or utcnow()))
        .order_by(SignedInSession.last_seen_at.desc(), SignedInSession.id.desc())).scalars())


def end(member: User, session_id: int) -> bool:
    """Sign one of the member's sessions out; False when there is no such session of theirs."""
    ended = db.session.execute(
        delete(SignedInSession)
        .where(SignedInSession.id == session_id, SignedInSession.user_id == member.id)
        .returning(SignedInSession.id)).first()
    return ended is not None


def end_all(member: User) -> int:
    """Sign the member out everywhere (every device, every remember-me cookie); returns how many."""
    return cast(CursorResult, db.session.execute(
        delete(SignedInSession).where(SignedInSession.user_id == member.id))).rowcount


def session_id_of(key: str | None) -> int | None:
    """The row id a session key names (whether or not it is live)."""
    session_id = (key or "").partition(":")[0]
    return int(session_id) if session_id.isdigit() and len(session_id) <= 18 else None


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))
_CLIENT = re.compile(r"^[\w.-]+/[\w.-]+")


def device_name(user_agent: str) -> tuple[str, str]:
    """(browser, system) named from a User-Agent for people, e.g. ("Firefox", "Linux"); "" when
    unknown. The full string stays available for the curious."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    if not browser and (client := _CLIENT.match(user_agent)):
        browser = client.group(0).split("/")[0]
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    return browser, system
