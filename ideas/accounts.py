"""Accounts: signing up, passwords, email confirmation. Nothing here knows about HTTP."""
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, insert, select

from . import signins
from .errors import ConfirmationRequired, EmailTaken, InvalidInput, NotAllowed
from .extensions import db
from .handles import check_handle, fill_missing_handles
from .i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES
from .models import User, utcnow
from .passwords import hash_password, needs_rehash, verify_password
from .site_settings import confirmation_required

PASSWORD_MIN = 8
PASSWORD_MAX = 200
NAME_MAX = 80
EMAIL_MAX = 254
# A plausible address; the web form checks it more strictly (email-validator).
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalise_email(email: str | None) -> str:
    """Addresses are compared without case or surrounding spaces."""
    return (email or "").strip().lower()


def find_member_by_email(email: str | None) -> User | None:
    """The account using `email`, or None."""
    return db.session.execute(
        select(User).where(func.lower(User.email) == normalise_email(email))
    ).scalar_one_or_none()


def passwordless_account(email: str, name: str = "", now: datetime | None = None) -> dict[str, Any]:
    """The columns of an account staff make for someone who never signed up (a vote recorded for
    a customer, an import): no password and unconfirmed, so nothing is ever mailed to it, until
    its owner claims it with "forgot password". Without a name it goes by the address's first part."""
    return dict(email=email, name=name or name_from_address(email), password_hash=None, role="member",
                created_at=now or utcnow())


def name_from_address(email: str) -> str:
    """The part of `email` before the @, as a display name."""
    return email.split("@")[0][:NAME_MAX]


def add_passwordless_accounts(people: Mapping[str, str], now: datetime) -> dict[str, int]:
    """Make passwordless_account()s for `people` ({normalised address: name}) in one statement;
    {address: new member id}."""
    emails = list(people)
    if not emails:
        return {}
    ids = db.session.execute(insert(User).returning(User.id, sort_by_parameter_order=True),
                             [passwordless_account(email, people[email], now) for email in emails]).scalars()
    made = dict(zip(emails, ids, strict=True))
    fill_missing_handles()  # past the ORM, which names new members as it inserts them
    return made


def sign_up(name: str | None, email: str | None, password: str, handle: str | None = None) -> User:
    """Create a member account with an argon2id password hash, and the @handle chosen (blank:
    one derived from the name)."""
    name = _clean_name(name)
    email = normalise_email(email)
    if not EMAIL_SHAPE.fullmatch(email) or len(email) > EMAIL_MAX:
        raise InvalidInput(_("Enter a valid email address."), {"email": _("Enter a valid email address.")})
    if find_member_by_email(email) is not None:
        raise EmailTaken()
    _check_password(password)
    chosen = check_handle(handle) if handle and handle.strip() else None
    member = User(name=name, email=email, password_hash=hash_password(password), handle=chosen)
    db.session.add(member)
    db.session.flush()
    return member


@dataclass(frozen=True)
class PasswordMatch:
    """A password found right for a member: the hash it matched, and the same password hashed
    again with today's parameters when the stored hash is older (None otherwise)."""

    member_id: int
    matched_hash: str
    new_hash: str | None = None


def check_password(email: str | None, password: str) -> PasswordMatch | None:
    """Whether `password` is the password of the member with `email`: reads only.

    Argon2id takes tens of milliseconds on purpose, so this runs before the caller takes any
    write lock (on SQLite one lock serialises every writer), and its rehash is made here too.
    `sign_in_with` then completes the sign-in in a short write transaction."""
    member = find_member_by_email(email)
    if member is None or not member.password_hash:
        # Check the password all the same: an unknown address must not answer faster than a known one.
        verify_password(_decoy_hash(), password)
        return None
    if not verify_password(member.password_hash, password):
        return None
    new_hash = hash_password(password) if needs_rehash(member.password_hash) else None
    return PasswordMatch(member.id, member.password_hash, new_hash)


def sign_in_with(match: PasswordMatch) -> User | None:
    """The member `match` found, if their password is still the one checked (it may have changed
    in between); upgrades an old hash. Raises NotAllowed for a suspended member."""
    member = db.session.get(User, match.member_id)
    if member is None or member.password_hash != match.matched_hash:
        return None
    if member.suspended_at is not None:
        raise NotAllowed(_("This account is suspended. Contact the site's team if you think this is wrong."))
    if match.new_hash is not None:
        member.password_hash = match.new_hash
    return member


def _decoy_hash() -> str:
    """A hash of a password nobody knows, made once per app with today's parameters."""
    decoy = current_app.extensions.get("ideas.decoy_password_hash")
    if decoy is None:
        decoy = current_app.extensions["ideas.decoy_password_hash"] = hash_password(secrets.token_hex(16))
    return decoy


def keep_signup_language(member: User, locale: str | None) -> None:
    """Remember the language a new member's browser asked for, so the worker's emails, sent
    outside any request, speak it. English, the default, stays unset: the member then keeps
    following their browser on pages, and emails are English either way."""
    if locale in SUPPORTED_LOCALES and locale != DEFAULT_LOCALE and member.locale is None:
        member.locale = locale
        db.session.flush()


def change_name(member: User, name: str | None) -> None:
    """Set the member's display name."""
    member.name = _clean_name(name)
    db.session.flush()


def _clean_name(name: str | None) -> str:
    name = " ".join(_balanced_bidi(name or "").split())
    if not _has_visible(name) or len(name) > NAME_MAX or "\x00" in name:
        raise InvalidInput(_("Enter a name."), {"name": _("Enter a name of at most %(limit)s characters.",
                                                          limit=NAME_MAX)})
    return name


# Bidi controls that open a run: embeddings and overrides (LRE, RLE, LRO, RLO), which PDF closes,
# and isolates (LRI, RLI, FSI), which PDI closes.
_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")
_ISOLATES = frozenset("\u2066\u2067\u2068")
_PDF, _PDI = "\u202c", "\u2069"


def _balanced_bidi(text: str) -> str:
    """`text` without the bidi controls left open or closing nothing, so that an override in a name
    ends with the name instead of reversing the words a page or an email prints after it.

    Closing follows Unicode's bidi algorithm (UAX #9): a PDF closes the innermost embedding but never
    reaches past an isolate; a PDI closes the innermost isolate, and whatever it left open is dropped.
    Balanced pairs stay: a name may need them to show right-to-left and left-to-right words in order.
    """
    still_open: list[int] = []  # positions of the openers not closed yet, innermost last
    dropped: set[int] = set()
    for position, char in enumerate(text):
        if char in _EMBEDDINGS or char in _ISOLATES:
            still_open.append(position)
        elif char == _PDF:
            if still_open and text[still_open[-1]] in _EMBEDDINGS:
                still_open.pop()
            else:
                dropped.add(position)
        elif char == _PDI:
            if any(text[opener] in _ISOLATES for opener in still_open):
                while text[still_open[-1]] not in _ISOLATES:
                    dropped.add(still_open.pop())
                still_open.pop()
            else:
                dropped.add(position)
    dropped.update(still_open)
    return "".join(char for position, char in enumerate(text) if position not in dropped)


def _has_visible(name: str) -> bool:
    """True when the name shows something: not only spaces and invisible format characters."""
    return any(unicodedata.category(char)[0] not in "CZ" for char in name)


def change_password(member: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one; ends other sessions."""
    if not verify_password(member.password_hash, current_password):
        raise InvalidInput(
            _("The current password is wrong."), {"current_password": _("This is not your current password.")}
        )
    set_password(member, new_password)


def set_password(member: User, new_password: str) -> None:
    """Store a new password and end every session and remember-me cookie of the member."""
    _check_password(new_password)
    member.password_hash = hash_password(new_password)
    signins.end_all(member)
    db.session.flush()


def _check_password(password: str) -> None:
    if not password or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput(
            _("Choose another password."),
            {"password": _("Use between %(minimum)s and %(maximum)s characters.",
                           minimum=PASSWORD_MIN, maximum=PASSWORD_MAX)},
        )


def confirm_email(member: User) -> None:
    """Mark the member's address as confirmed (idempotent)."""
    if member.email_confirmed_at is None:
        member.email_confirmed_at = utcnow()
        db.session.flush()


def ensure_can_participate(member: User) -> None:
    """Raise unless the member may propose, vote or comment under the site's settings."""
    if confirmation_required() and not member.is_confirmed:
        raise ConfirmationRequired(_("Confirm your email address first: we sent you a link."))


# Tokens sent by email. A reset token carries a fingerprint of the current password hash,
# so it stops working once used (the hash changes) and when it expires.

def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(member: User) -> str:
    return hashlib.sha256((member.password_hash or "-").encode()).hexdigest()[:16]


def password_reset_token(member: User) -> str:
    """A signed token that lets `member` set a new password once."""
    return _serializer("password-reset").dumps([member.id, _password_fingerprint(member)])


def member_from_reset_token(token: str) -> User | None:
    """The member a valid, unused, unexpired reset token belongs to, or None."""
    found = _load_token("password-reset", token, "PASSWORD_RESET_MAX_AGE")
    if found is None or not hmac.compare_digest(found[1], _password_fingerprint(found[0])):
        return None
    return found[0]


def _load_token(salt: str, token: str, max_age_setting: str) -> tuple[User, Any] | None:
    """(member, second value) from a signed [member id, value] token, or None."""
    try:
        member_id, value = _serializer(salt).loads(
            token, max_age=current_app.config[max_age_setting]
        )
    except (BadSignature, ValueError, TypeError):
        return None
    member = db.session.get(User, member_id) if isinstance(member_id, int) else None
    return None if member is None else (member, value)


def confirmation_token(member: User) -> str:
    """A signed token that confirms the member's current address."""
    return _serializer("confirm-email").dumps([member.id, member.email])


def member_from_confirmation_token(token: str) -> User | None:
    """The member whose current address the token confirms, or None."""
    found = _load_token("confirm-email", token, "EMAIL_CONFIRM_MAX_AGE")
    if found is None or found[0].email != found[1]:
        return None
    return found[0]
