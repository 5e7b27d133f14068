"""Invitations: staff invite an address; its signed link lets that person join whatever the sign-up rule.

The link is signed with the secret key, so the database alone does not give it away.
"""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, select

from .. import accounts, audit
from ..errors import Conflict, InvalidInput
from ..events import InvitationRenewed, InvitationRevoked, InvitationSent
from ..events.publish import publish
from ..extensions import db
from ..models import Invitation, User, utcnow

INVITATION_LIFETIME = timedelta(days=14)


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
        publish(InvitationSent(actor, invitation))
    else:
        invitation.sent_at = utcnow()
        publish(InvitationRenewed(actor, invitation))
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
    publish(InvitationRevoked(actor, invitation))


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
