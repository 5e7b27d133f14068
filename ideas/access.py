"""Who may come in: private mode, who may sign up, invitations, one-time sign-in codes, feed tokens.

Nothing here knows about HTTP. Codes are kept only as a keyed SHA-256 hash; invitation links and
feed links are signed with the secret key, so the database alone gives neither away.
"""
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import CursorResult, Select, delete, func, select, update

from . import accounts, audit
from .errors import Conflict, InvalidInput, NotAllowed
from .extensions import db
from .models import Invitation, SignInCode, User, utcnow
from .site_settings import get_settings, set_setting, settings_snapshot

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
CODE_MAX_TRIES = 5
# Per member and hour: nobody can flood someone's inbox with codes by asking again and again.
CODES_PER_HOUR = 5
INVITATION_LIFETIME = timedelta(days=14)

SIGNUP_MODES = {
    "open": _l("Anyone may sign up"),
    "domains": _l("Only addresses at the domains below (and people staff invite)"),
    "invitation": _l("Only people staff invite"),
}
DOMAINS_MAX = 50
DOMAIN_SHAPE = re.compile(
    r"(?=.{4,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")
ACCESS_KEYS = ("private_mode", "signup_mode", "allowed_domains")


@dataclass(frozen=True)
class AccessRules:
    """Whether the site is private, and who may sign up."""

    private: bool
    signup_mode: str
    allowed_domains: tuple[str, ...]

    @property
    def signup_open_to_all(self) -> bool:
        return self.signup_mode == "open"


def access_rules() -> AccessRules:
    """The rules in force (from the settings read once per request or worker pass)."""
    values = settings_snapshot()
    return AccessRules(private=values["private_mode"] == "1", signup_mode=values["signup_mode"],
                       allowed_domains=tuple(values["allowed_domains"].split()))


def parse_domains(text: str | None) -> list[str]:
    """The domain names in `text` (separated by spaces, commas or lines), lower-cased, each once.

    Raises InvalidInput naming the first entry that is not a domain name.
    """
    found: list[str] = []
    for entry in re.split(r"[\s,;]+", (text or "").strip().lower()):
        if not entry:
            continue
        entry = entry.removeprefix("@")
        if not DOMAIN_SHAPE.fullmatch(entry):
            raise InvalidInput(_("Please correct the domains."), {
                "allowed_domains": _("“%(entry)s” is not a domain name like example.com.", entry=entry[:80])})
        if entry not in found:
            found.append(entry)
    if len(found) > DOMAINS_MAX:
        raise InvalidInput(_("Too many domains."),
                           {"allowed_domains": _("List at most %(limit)s domains.", limit=DOMAINS_MAX)})
    return found


def update_access_rules(actor: User, private: bool, signup_mode: str, domains_text: str | None) -> list[str]:
    """Set private mode and who may sign up; audited. Restricting to domains needs at least one."""
    audit.require_admin(actor)
    if signup_mode not in SIGNUP_MODES:
        raise InvalidInput(_("Choose who may sign up."), {"signup_mode": _("Choose one of the options.")})
    domains = parse_domains(domains_text)
    if signup_mode == "domains" and not domains:
        raise InvalidInput(_("Name the domains."), {
            "allowed_domains": _("Name at least one domain, or choose another sign-up rule.")})
    before = get_settings(*ACCESS_KEYS)
    set_setting("private_mode", "1" if private else "0")
    set_setting("signup_mode", signup_mode)
    set_setting("allowed_domains", "\n".join(domains))
    after = get_settings(*ACCESS_KEYS)
    changed = [key for key in ACCESS_KEYS if before[key] != after[key]]
    if changed:
        audit.record(actor, "settings.access_changed", None,
                     {key: before[key] for key in changed}, {key: after[key] for key in changed})
    db.session.flush()
    return changed


# Signing up.

def ensure_may_sign_up(email: str, invitation: Invitation | None = None) -> None:
    """Raise unless `email` may make an account under the sign-up rule (an invitation always may)."""
    if invitation is not None and accounts.normalise_email(email) == invitation.email:
        return
    rules = access_rules()
    if rules.signup_mode == "invitation":
        raise NotAllowed(_("Joining this site is by invitation only. Ask its team to invite you."))
    if rules.signup_mode == "domains":
        domain = accounts.normalise_email(email).rpartition("@")[2]
        if domain not in rules.allowed_domains:
            raise InvalidInput(_("This address may not sign up."), {
                "email": _("Only addresses at %(domains)s may sign up here.",
                           domains=', '.join(rules.allowed_domains))})


def sign_up_member(name: str, email: str, password: str, invitation: Invitation | None = None) -> User:
    """Create an account if the sign-up rule allows it; an invitation is accepted by it."""
    ensure_may_sign_up(email, invitation)
    member = accounts.sign_up(name, email, password)
    if invitation is not None:
        accounts.confirm_email(member)  # the link reached this inbox
        invitation.accepted_at = utcnow()
        invitation.accepted_by_id = member.id
        db.session.flush()
    return member


# Invitations.

def invite(actor: User, email: str) -> Invitation:
    """Invite `email` to join (staff only); inviting a pending address again renews its link.

    Returns the invitation; the caller queues its email (ideas/account_emails.py), which
    carries `invitation_token(invitation)`.
    """
    audit.require_staff(actor)
    email = accounts.normalise_email(email)
    if not accounts.EMAIL_SHAPE.fullmatch(email) or len(email) > accounts.EMAIL_MAX:
        raise InvalidInput(_("Enter a valid email address."), {"email": _("Enter a valid email address.")})
    if accounts.find_member_by_email(email) is not None:
        raise InvalidInput(_("Already a member."), {"email": _("Someone with this address is already a "
                                                               "member.")})
    invitation = pending_invitation(email)
    if invitation is None:
        invitation = Invitation(email=email, invited_by_id=actor.id)
        db.session.add(invitation)
        db.session.flush()
        audit.record(actor, "invitation.sent", invitation, {}, {"email": email})
    else:
        invitation.sent_at = utcnow()
        audit.record(actor, "invitation.renewed", invitation, {}, {"email": email})
    db.session.flush()
    return invitation


def pending_invitation(email: str) -> Invitation | None:
    """The latest invitation of `email` neither accepted nor withdrawn, or None."""
    return db.session.execute(
        select(Invitation).where(Invitation.email == accounts.normalise_email(email),
                                 Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.id.desc()).limit(1)
    ).scalar()


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    """Stop a pending invitation's link from working (staff only)."""
    audit.require_staff(actor)
    if invitation.state != "pending":
        raise Conflict(_("Only a pending invitation can be withdrawn."))
    invitation.revoked_at = utcnow()
    audit.record(actor, "invitation.revoked", invitation, {"state": "pending"}, {"state": "revoked"})
    db.session.flush()


def invitations() -> Select[Invitation]:
    """A select of every invitation, newest first."""
    return select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id.desc())


def _invitation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="invitation")


def invitation_token(invitation: Invitation) -> str:
    """A signed token for the invitation's link; it works for INVITATION_LIFETIME."""
    return _invitation_serializer().dumps([invitation.id, invitation.email])


def invitation_from_token(token: str) -> Invitation | None:
    """The pending invitation a valid, unexpired token names, or None."""
    try:
        invitation_id, email = _invitation_serializer().loads(
            token, max_age=int(INVITATION_LIFETIME.total_seconds()))
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    if not isinstance(invitation_id, int):
        return None
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.email != email or invitation.state != "pending":
        return None
    return invitation


# One-time sign-in codes.

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


# Feed tokens.

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
