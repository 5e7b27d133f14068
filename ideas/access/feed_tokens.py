"""Feed tokens: a member's personal feed links on a private site, signed with the secret key."""
import hmac
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import db
from ..models import User

def _feed_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="feed")


def feed_token(member: User) -> str:
    """The member's personal feed token: it names the member and their current feed key."""
    return _feed_serializer().dumps([member.id, member.feed_token or ""])


def regenerate_feed_token(member: User) -> None:
    """Give the member a new feed token; links with the old one stop working."""
    member.feed_token = secrets.token_hex(16)
    db.session.flush()


def member_from_feed_token(token: str | None) -> User | None:
    """The active member a current feed token belongs to, or None."""
    try:
        member_id, key = _feed_serializer().loads(token or "")
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(member_id, int) or not isinstance(key, str):
        return None
    member = db.session.get(User, member_id)
    if member is None or member.suspended_at is not None:
        return None
    return member if hmac.compare_digest(member.feed_token or "", key) else None
