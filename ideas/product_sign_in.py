"""Signing in from the company's own product: whom a verified token (ideas/product_tokens.py) signs
in, and the admins' test box that asks the same without signing anyone in. Nothing here knows
HTTP: the pages are ideas/web/product_sign_in.py.

The customer is signed in as the member that the product's id for them (`sub`) is linked to, made
the first time, by the rules of ideas.sso: an identity keyed by issuer ("product") and subject,
never by email alone; an existing member joined by email only when both sides verified the
address; never a member of the team; never a suspended member; a change of address that collides
with another account refused, not merged.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import accounts, sso
from .companies import apply_token_company
from .errors import InvalidInput
from .extensions import db
from .models import PRODUCT_ISSUER, Identity, User, utcnow
from .product_tokens import ProductClaims, TokenRejected, read_token, spend, token_used


@dataclass(frozen=True)
class Outcome:
    """What a token would do: sign in `member` (None: a new member), through `identity` (None:
    linked now), changing the member's address to `new_email` (None: unchanged)."""

    member: User | None = None
    identity: Identity | None = None
    new_email: str | None = None


def decide(claims: ProductClaims) -> Outcome:
    """Whom `claims` would sign in, by the rules; SignInRefused (ideas.sso) when none. Only reads,
    so the admins' test box can ask it too."""
    row = sso.find_identity(PRODUCT_ISSUER, claims.subject)
    if row is not None:
        member = db.session.get(User, row.user_id)
        assert member is not None  # the foreign key
        _ensure_may_use(member)
        if claims.email == accounts.normalise_email(member.email):
            return Outcome(member, row)
        other = accounts.find_member_by_email(claims.email)
        if other is not None:
            raise sso.SignInRefused("email_taken", _(
                "Your email address at the app you came from belongs to another account here, so we "
                "could not change yours to it (accounts are never merged). Ask the site's team for help."))
        return Outcome(member, row, claims.email)
    member = accounts.find_member_by_email(claims.email)
    if member is None:
        sso.ensure_may_join(claims.email)
        return Outcome()
    _ensure_may_use(member)
    linked = next((identity for identity in _identities(member) if identity.issuer == PRODUCT_ISSUER), None)
    if linked is not None and linked.subject == claims.subject:
        # The same customer's first sign-in, in another tab, linked them between our two reads.
        return Outcome(member, linked)
    if linked is not None:
        raise sso.SignInRefused("identity_taken", _(
            "The account here with your email address belongs to another account at the app you came "
            "from, so we did not sign you in to it. Ask the site's team for help."))
    if not member.is_confirmed:
        raise sso.AddressUnconfirmed("address_unconfirmed", _(
            "An account with your email address exists here, but its address was never confirmed, "
            "so we cannot tell that it is yours."))
    if not claims.email_verified:
        raise sso.SignInRefused("email_unverified", _(
            "An account with your email address exists here, and the app you came from has not "
            "confirmed that the address is yours, so we did not sign you in to it. Sign in with an "
            "emailed code instead."))
    return Outcome(member)


def _identities(member: User) -> list[Identity]:
    return list(db.session.execute(select(Identity).where(Identity.user_id == member.id)).scalars())


def _ensure_may_use(member: User) -> None:
    """A token never signs in a member of the team: its holder would hold the team's powers on the
    word of another system. Suspended members stay out."""
    if member.is_staff:
        raise sso.SignInRefused("team_account", _(
            "This account belongs to a member of the site's team, who never signs in from another "
            "app. Sign in with your password or an emailed code."))
    sso.ensure_not_suspended(member)


def sign_in_with_token(claims: ProductClaims) -> User:
    """Spend the token and return the member it signs in, made, linked or brought up to date.

    The token is spent even when a rule refuses it: the account changes run in a savepoint that
    the refusal rolls back, and the view commits what is left. Two first sign-ins racing on the
    same new member or address lose one of them to a unique constraint: that one is refused with
    a "try again" (sso.raced), not a server error."""
    spend(claims)
    try:
        with db.session.begin_nested():
            return _carry_out(claims, decide(claims))
    except IntegrityError:
        raise sso.raced() from None


def _carry_out(claims: ProductClaims, outcome: Outcome) -> User:
    identity = claims.identity()
    if outcome.member is None:
        member = sso.new_member(identity)
        sso.link(member, identity)
        _apply_company(claims, member)
        return member
    member = outcome.member
    row = outcome.identity or sso.link(member, identity)
    if outcome.new_email is not None:
        member.email = outcome.new_email
        member.email_confirmed_at = utcnow() if claims.email_verified else None
    elif claims.email_verified:
        accounts.confirm_email(member)
    if claims.name != member.name:
        try:
            accounts.change_name(member, claims.name)
        except InvalidInput:
            pass  # no usable name in the token: the member keeps theirs
    row.email = claims.email
    row.last_used_at = utcnow()
    db.session.flush()
    _apply_company(claims, member)
    return member


def _apply_company(claims: ProductClaims, member: User) -> None:
    """The token's `company`, when it names one, is the member's company from now on, its values
    as the product sent them (source "token"); a token without one leaves the member's alone."""
    if claims.company is not None:
        apply_token_company(member, claims.company)


# The admins' test box.

@dataclass(frozen=True)
class TokenReport:
    """What the test box says of a token: its claims when they could be read, the problem (a
    TokenRejected or a sso.SignInRefused) or, when none, what the token would do."""

    claims: ProductClaims | None = None
    problem: Exception | None = None
    outcome: Outcome | None = None


def judge_token(token: str | None) -> TokenReport:
    """Check `token` as the sign-in would, without spending it or signing anyone in."""
    try:
        claims = read_token(token)
    except TokenRejected as rejected:
        return TokenReport(problem=rejected)
    if token_used(claims.jti):
        return TokenReport(claims, TokenRejected("reused", f"jti {claims.jti!r} was used before"))
    try:
        return TokenReport(claims, outcome=decide(claims))
    except sso.SignInRefused as refusal:
        return TokenReport(claims, refusal)
