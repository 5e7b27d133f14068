"""Personal API keys: made and revoked by their owner, shown once, kept only as a SHA-256 hash.

A key acts as its owner with the owner's role at the moment of each request; a suspended
owner's keys stop working (and work again if the suspension is lifted).
"""
import hashlib
import secrets
from datetime import datetime, timedelta

from flask_login import AnonymousUserMixin
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from flask_babel import gettext as _

from .errors import InvalidInput, NotAllowed
from .extensions import db
from .models import ApiKey, User, utcnow

KEY_PREFIX = "ideas_"
NAME_MAX = 60
PREFIX_LENGTH = 12  # "ideas_" and six characters of the secret: enough to tell keys apart
KEYS_MAX = 20  # live keys per member
TOKEN_MAX = 100  # a longer token cannot be one of ours; refused before hashing
USE_RECORDED_EVERY = timedelta(minutes=1)  # so that reading through the API seldom writes


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a key is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _clean_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX or "\x00" in name:
        raise InvalidInput(_("Name the key."), {"name": _("Use 1 to %(limit)s characters, e.g. “Support "
                                                          "tool”.",
                                                          limit=NAME_MAX)})
    return name


def create_api_key(member: User | AnonymousUserMixin, name: str | None) -> tuple[ApiKey, str]:
    """A new key for `member`: returns (key, token). The token is shown once and never stored."""
    if not member.is_authenticated or member.suspended_at is not None:
        raise NotAllowed(_("Sign in to create API keys."))
    name = _clean_name(name)
    live = db.session.execute(select(func.count()).select_from(ApiKey).where(
        ApiKey.user_id == member.id, ApiKey.revoked_at.is_(None))).scalar_one()
    if live >= KEYS_MAX:
        raise InvalidInput(_("Too many keys."),
                           {"name": _("You have %(limit)s keys: revoke one you no longer use.",
                                      limit=KEYS_MAX)})
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(user_id=member.id, name=name, prefix=token[:PREFIX_LENGTH], token_hash=hash_token(token),
                 created_at=utcnow())
    db.session.add(key)
    db.session.flush()
    return key, token


def revoke_api_key(member: User | AnonymousUserMixin, key: ApiKey) -> None:
    """The owner revokes a key: it stops working at once. Revoking twice changes nothing."""
    if not member.is_authenticated or key.user_id != member.id:
        raise NotAllowed(_("Only the key's owner may revoke it."))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.flush()


def api_keys_of(member: User) -> Select[ApiKey]:
    """A select of the member's live keys, newest first."""
    return (select(ApiKey).where(ApiKey.user_id == member.id, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc()))


def find_api_key(token: str | None) -> ApiKey | None:
    """The live key `token` belongs to (not revoked, owner not suspended), or None."""
    if not token or len(token) > TOKEN_MAX or not token.startswith(KEY_PREFIX):
        return None
    key = db.session.execute(select(ApiKey).where(
        ApiKey.token_hash == hash_token(token), ApiKey.revoked_at.is_(None))).scalar()
    if key is None or key.user.suspended_at is not None:
        return None
    return key


def member_for_key(token: str | None) -> User | None:
    """The member a live key acts for, or None."""
    key = find_api_key(token)
    return key.user if key is not None else None


def key_use_due(key: ApiKey, now: datetime | None = None) -> bool:
    """True when the key's `last_used_at` is older than a minute (or unset)."""
    now = now or utcnow()
    return key.last_used_at is None or now - key.last_used_at >= USE_RECORDED_EVERY


def record_key_use(key: ApiKey, now: datetime | None = None) -> bool:
    """Note when the key was last used, at most once a minute. True when it wrote."""
    now = now or utcnow()
    if not key_use_due(key, now):
        return False
    db.session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now),
                       execution_options={"synchronize_session": False})
    set_committed_value(key, "last_used_at", now)
    return True
