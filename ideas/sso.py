"""Single sign-on through the company's OpenID Connect provider: how it is set up, and whom a
verified identity signs in, links or creates. Nothing here knows HTTP; the protocol is
ideas/oidc/ and the pages ideas/web/sso.py.

An identity is keyed by the provider's issuer and subject, never by email alone. A new identity
joins an existing member by email only when both sides verified the address: the provider says
`email_verified` and the member confirmed it here. Otherwise someone could register an address in
advance, or at a provider that does not check addresses, and take over the account. Staff and
admins are never linked automatically: they link their own identity from their account page.
"""
import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import accounts, audit
from .access import INVITATION_LIFETIME, pending_invitation
from .access.rules import ensure_may_sign_up
from .errors import DomainError, InvalidInput, NotAllowed
from .events import SsoSettingsChanged
from .events.publish import publish
from .extensions import db
from .models import PRODUCT_ISSUER, Identity, Invitation, User, utcnow
from .oidc import Provider, VerifiedIdentity, issuer_shape_ok
from .site_settings import get_settings, set_setting, settings_snapshot

log = logging.getLogger(__name__)

SETUP_KEYS = ("oidc_issuer", "oidc_client_id", "oidc_client_secret", "oidc_label", "sso_only")
LABEL_MAX = 60
FIELD_MAX = 255


class SignInRefused(NotAllowed):
    """A verified identity may not sign in (or link) here. `reason` is for the log."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class AddressUnconfirmed(SignInRefused):
    """The address belongs to a member who never confirmed it: the page says how to go on."""


def raced() -> SignInRefused:
    """The refusal for a sign-in that lost a race on a unique constraint: the same person signing in
    twice at once (two tabs, a double click), both making the same new member or link. The other
    sign-in won; this one changed nothing and may simply be tried again."""
    return SignInRefused("race", _("You were being signed in twice at the same moment (in two tabs, "
                                   "perhaps). Nothing was changed by this one: try again."))


@dataclass(frozen=True)
class ProviderSetup:
    """The provider in force: saved by an admin, else from the environment (OIDC_*)."""

    issuer: str
    client_id: str
    client_secret: str
    label: str
    sso_only: bool
    from_environment: bool

    @property
    def configured(self) -> bool:
        return bool(self.issuer and self.client_id and self.client_secret)

    @property
    def provider(self) -> Provider:
        return Provider(self.issuer, self.client_id, self.client_secret)

    @property
    def has_secret(self) -> bool:
        return bool(self.client_secret)


def provider_setup() -> ProviderSetup:
    """How single sign-on is set up now (read from this request's settings snapshot)."""
    values = settings_snapshot()
    config = current_app.config
    saved = values["oidc_saved"] == "1"
    return ProviderSetup(
        issuer=values["oidc_issuer"] if saved else config.get("OIDC_ISSUER", ""),
        client_id=values["oidc_client_id"] if saved else config.get("OIDC_CLIENT_ID", ""),
        client_secret=values["oidc_client_secret"] if saved else config.get("OIDC_CLIENT_SECRET", ""),
        label=values["oidc_label"], sso_only=values["sso_only"] == "1", from_environment=not saved)


def provider_label(setup: ProviderSetup | None = None) -> str:
    """The name of the provider for people, as on the sign-in button."""
    return (setup or provider_setup()).label or _("your organisation's account")


def sso_only() -> bool:
    """True when members must sign in through the provider. Only while one is set up: a site whose
    provider was removed must not lock its members out."""
    setup = provider_setup()
    return setup.configured and setup.sso_only


def ensure_may_sign_in_without_sso(member: User) -> None:
    """Raise unless `member` may sign in with a password or an emailed code: staff always may, so a
    broken provider cannot lock the team out."""
    if sso_only() and not member.is_staff:
        raise SignInRefused("sso_only", _("Members of this site sign in with %(provider)s. Use the "
                                          "button on the sign-in page.", provider=provider_label()))


def save_provider_setup(actor: User, issuer: str, client_id: str, client_secret: str | None,
                        label: str, members_sso_only: bool) -> list[str]:
    """Set up (or, with no issuer, turn off) sign-in through a provider; audited, the secret only
    as "changed". An empty `client_secret` keeps the one in force. Returns what changed."""
    audit.require_admin(actor)
    current = provider_setup()
    issuer, client_id, label = issuer.strip(), client_id.strip(), " ".join(label.split())
    secret = (client_secret or "").strip() or current.client_secret
    _check_setup(issuer, client_id, secret, label, members_sso_only)
    before = {**get_settings(*SETUP_KEYS), "oidc_issuer": current.issuer,
              "oidc_client_id": current.client_id, "oidc_client_secret": current.client_secret}
    for key, value in (("oidc_saved", "1"), ("oidc_issuer", issuer), ("oidc_client_id", client_id),
                       ("oidc_client_secret", secret if issuer else ""), ("oidc_label", label),
                       ("sso_only", "1" if members_sso_only and issuer else "0")):
        set_setting(key, value)
    after = get_settings(*SETUP_KEYS)
    changed = [key for key in SETUP_KEYS if before[key] != after[key]]
    if changed:
        shown = {key: "(changed)" if key == "oidc_client_secret" else value for key, value in after.items()}
        publish(SsoSettingsChanged(
            actor, {key: "(hidden)" if key == "oidc_client_secret" else before[key] for key in changed},
            {key: shown[key] for key in changed}))
    db.session.flush()
    return changed


def _check_setup(issuer: str, client_id: str, secret: str, label: str, members_sso_only: bool) -> None:
    errors: dict[str, str] = {}
    if issuer and (not issuer_shape_ok(issuer) or len(issuer) > FIELD_MAX):
        errors["issuer"] = _("Enter the provider's address, starting with https://, with no ? or #.")
    if issuer and not client_id:
        errors["client_id"] = _("Enter the client id the provider gave this site.")
    if issuer and not secret:
        errors["client_secret"] = _("Enter the client secret the provider gave this site.")
    if len(client_id) > FIELD_MAX or len(secret) > FIELD_MAX or "\x00" in client_id + secret:
        errors["client_id"] = _("That is longer than a client id and secret can be here.")
    if len(label) > LABEL_MAX or "\x00" in label:
        errors["label"] = _("Use at most %(limit)s characters.", limit=LABEL_MAX)
    if members_sso_only and not issuer:
        errors["sso_only"] = _("Set up a provider first: members would have no way in.")
    if errors:
        raise InvalidInput(_("Please correct the single sign-on settings."), errors)


# Who a verified identity is here.

def find_identity(issuer: str, subject: str) -> Identity | None:
    """The identity row for this provider's subject, or None."""
    return db.session.execute(
        select(Identity).where(Identity.issuer == issuer, Identity.subject == subject)).scalar()


def identities_of(member: User) -> list[Identity]:
    """The member's identities at OpenID Connect providers, oldest first (not the one the company's
    product links, ideas.product_tokens: it is the product's to keep, not the member's to unlink)."""
    return list(db.session.execute(
        select(Identity).where(Identity.user_id == member.id, Identity.issuer != PRODUCT_ISSUER)
        .order_by(Identity.id)).scalars())


def sign_in_with(identity: VerifiedIdentity) -> User:
    """The member `identity` signs in: the one it is linked to, else the member whose confirmed
    address the provider verified (linked now), else a new member with that address, confirmed.
    Raises SignInRefused (nothing written) otherwise."""
    row = find_identity(identity.issuer, identity.subject)
    if row is not None:
        member = db.session.get(User, row.user_id)
        assert member is not None  # the foreign key
        ensure_not_suspended(member)
        row.last_used_at = utcnow()
        db.session.flush()
        return member
    if not identity.email:
        raise SignInRefused("no_email", _("%(provider)s did not tell us your email address, so we cannot "
                                          "sign you in with it.", provider=provider_label()))
    if not identity.email_verified:
        raise SignInRefused("email_unverified", _(
            "%(provider)s has not verified your email address, so we cannot sign you in with it. "
            "Verify the address there and try again, or sign in with an emailed code.",
            provider=provider_label()))
    member = accounts.find_member_by_email(identity.email)
    try:
        if member is None:
            member = new_member(identity)
        else:
            _ensure_may_link_by_email(member)
        link(member, identity)
    except IntegrityError:
        raise raced() from None  # the view rolls back, as for any refusal
    return member


def _ensure_may_link_by_email(member: User) -> None:
    if member.is_staff:
        raise SignInRefused("team_account", _(
            "This address belongs to a member of the site's team, whose account is never linked "
            "automatically. Sign in with your password or an emailed code, then link %(provider)s "
            "on your account page.", provider=provider_label()))
    ensure_not_suspended(member)
    if not member.is_confirmed:
        raise AddressUnconfirmed("address_unconfirmed", _(
            "An account with this email address exists here, but its address was never confirmed, "
            "so we cannot tell that it is yours."))


def ensure_not_suspended(member: User) -> None:
    """Raise SignInRefused when `member` is suspended."""
    if member.suspended_at is not None:
        raise SignInRefused("suspended", _("This account is suspended. Contact the site's team if you "
                                           "think this is wrong."))


def new_member(identity: VerifiedIdentity) -> User:
    """A member for an address nobody uses here, under the site's sign-up rule; the address is
    confirmed when the identity's issuer verified it (a provider always has, by now)."""
    email = accounts.normalise_email(identity.email)
    if not accounts.EMAIL_SHAPE.fullmatch(email) or len(email) > accounts.EMAIL_MAX:
        raise SignInRefused("email_invalid", _("%(provider)s gave an email address this site cannot use.",
                                               provider=provider_label()))
    invitation = ensure_may_join(email)
    member = User(name=email.partition("@")[0][:accounts.NAME_MAX], email=email, password_hash=None,
                  email_confirmed_at=utcnow() if identity.email_verified else None)
    db.session.add(member)
    db.session.flush()
    try:
        accounts.change_name(member, identity.name)
    except InvalidInput:
        pass  # no usable name from the provider: the address's first half stands in
    if invitation is not None:
        invitation.accepted_at = utcnow()
        invitation.accepted_by_id = member.id
    db.session.flush()
    return member


def ensure_may_join(email: str) -> Invitation | None:
    """Raise SignInRefused unless `email` may become a member under the site's sign-up rule; the
    pending invitation that lets it, if any. Only reads."""
    invitation = pending_invitation(email)
    if invitation is not None and invitation.sent_at < utcnow() - INVITATION_LIFETIME:
        invitation = None
    try:
        ensure_may_sign_up(email, invitation)
    except DomainError as refusal:
        fields = getattr(refusal, "fields", {})
        raise SignInRefused("signup_closed", fields.get("email", refusal.message)) from None
    return invitation


def link(member: User, identity: VerifiedIdentity) -> Identity:
    """A new identity row joining `identity` to `member` (the callers checked the rules)."""
    row = Identity(user_id=member.id, issuer=identity.issuer, subject=identity.subject,
                   email=(identity.email or "")[:254] or None, last_used_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def link_identity(member: User, identity: VerifiedIdentity) -> Identity:
    """Link `identity` to the signed-in `member` (any role: this is how staff link theirs), who
    proved both accounts are theirs by signing in to each. One identity per provider per member."""
    row = find_identity(identity.issuer, identity.subject)
    if row is not None:
        if row.user_id == member.id:
            return row
        raise SignInRefused("identity_taken", _(
            "This %(provider)s account already signs in another member of this site, so it cannot be "
            "linked to yours.", provider=provider_label()))
    if any(linked.issuer == identity.issuer for linked in identities_of(member)):
        raise SignInRefused("already_linked", _(
            "Your account is already linked to another %(provider)s account. Unlink that one first.",
            provider=provider_label()))
    try:
        return link(member, identity)
    except IntegrityError:
        raise raced() from None


def unlink_identity(member: User, identity_id: int) -> bool:
    """Remove one of the member's identities at a provider; False when there is no such identity
    of theirs (the product's is not theirs to remove: see identities_of)."""
    row = db.session.get(Identity, identity_id)
    if row is None or row.user_id != member.id or row.issuer == PRODUCT_ISSUER:
        return False
    db.session.delete(row)
    db.session.flush()
    return True
