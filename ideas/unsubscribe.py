"""Signed unsubscribe tokens: they work signed out and name only the member."""
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from .extensions import db
from .models import User


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(member: User) -> str:
    """A token that lets whoever holds the email stop its emails; it does not expire."""
    return _serializer().dumps(member.id)


def member_from_unsubscribe_token(token: str) -> User | None:
    """The member the token was made for, or None."""
    try:
        member_id = _serializer().loads(token)
    except BadSignature:
        return None
    return db.session.get(User, member_id) if isinstance(member_id, int) else None


def unsubscribe(member: User) -> None:
    """Stop every email about followed ideas (in-app notifications go on)."""
    member.email_mode = "never"
    db.session.flush()
