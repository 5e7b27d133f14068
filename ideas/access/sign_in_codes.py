"""One-time sign-in codes, mailed to a member instead of a password.

Codes are kept only as a keyed SHA-256 hash, so the database alone does not give them away.
"""
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, delete, func, select, update

from .. import accounts
from ..extensions import db
from ..models import SignInCode, User, utcnow

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
CODE_MAX_TRIES = 5
# Per member and hour: nobody can flood someone's inbox with codes by asking again and again.
CODES_PER_HOUR = 5


def _code_hash(member_id: int, code: str) -> str:
    """Keyed with the secret key and the member, so a leaked table cannot be reversed by trying
    every six-digit number."""
    message = f"sign-in-code:{member_id}:{code}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()


def issue_sign_in_code(email: str, now: datetime | None = None) -> tuple[User, str] | tuple[None, None]:
    """(member, code) for an active member using `email`, else (None, None).

    The new code replaces any earlier one; at most CODES_PER_HOUR per member. Only the worker
    calls this, when it sends the email a request queued (ideas/account_emails.py), so the
    request that asked does the same work either way.
    """
    now = now or utcnow()
    member = accounts.find_member_by_email(email)
    if member is None or member.suspended_at is not None:
        return None, None
    recent = db.session.execute(
        select(func.count()).select_from(SignInCode)
        .where(SignInCode.user_id == member.id, SignInCode.created_at > now - timedelta(hours=1))
    ).scalar_one()
    if recent >= CODES_PER_HOUR:
        return None, None
    db.session.execute(
        update(SignInCode).where(SignInCode.user_id == member.id, SignInCode.used_at.is_(None))
        .values(used_at=now), execution_options={"synchronize_session": False})
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    db.session.add(SignInCode(user_id=member.id, code_hash=_code_hash(member.id, code),
                              created_at=now, expires_at=now + CODE_LIFETIME))
    db.session.flush()
    return member, code


def withdraw_sign_in_code(member: User, code: str) -> None:
    """Delete a code whose email never left: nobody can use it, and it does not count against
    the member's CODES_PER_HOUR."""
    db.session.execute(delete(SignInCode).where(SignInCode.user_id == member.id,
                                                SignInCode.code_hash == _code_hash(member.id, code)),
                       execution_options={"synchronize_session": False})


def normalise_code(code: str | None) -> str:
    """What was typed, without spaces or dashes."""
    return re.sub(r"[\s-]", "", code or "")


def redeem_sign_in_code(email: str, code: str | None, now: datetime | None = None) -> User | None:
    """The member whose current code `code` is, or None. Every try counts (at most CODE_MAX_TRIES);
    a right code works once and confirms the address it was sent to.

    A wrong try runs the same statements and the same hash whether or not the address has an
    account or a live code (id 0 matches no row), so its time says nothing about the address."""
    now = now or utcnow()
    code = normalise_code(code)
    member = accounts.find_member_by_email(email)
    usable = member is not None and member.suspended_at is None
    member_id = member.id if usable and member is not None else 0
    row = db.session.execute(
        select(SignInCode.id, SignInCode.code_hash)
        .where(SignInCode.user_id == member_id, SignInCode.used_at.is_(None))
        .order_by(SignInCode.id.desc()).limit(1)
    ).first()
    # Atomic steps, so two guesses at once cannot both have the last try or both use the code.
    counted = cast(CursorResult, db.session.execute(
        update(SignInCode).where(SignInCode.id == (row.id if row else 0), SignInCode.used_at.is_(None),
                                 SignInCode.attempts < CODE_MAX_TRIES, SignInCode.expires_at > now)
        .values(attempts=SignInCode.attempts + 1), execution_options={"synchronize_session": False}))
    right = hmac.compare_digest(row.code_hash if row else _NO_CODE, _code_hash(member_id, code))
    if not (usable and row is not None and counted.rowcount == 1 and code.isdigit() and right):
        return None
    used = cast(CursorResult, db.session.execute(
        update(SignInCode).where(SignInCode.id == row.id, SignInCode.used_at.is_(None))
        .values(used_at=now), execution_options={"synchronize_session": False}))
    if used.rowcount != 1:
        return None
    assert member is not None  # usable
    accounts.confirm_email(member)
    return member


_NO_CODE = "0" * 64  # compared against when there is no code, as long as a real hash
