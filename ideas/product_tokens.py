"""Tokens from the company's own product: the product signs a short-lived token (a JWT, HS256, with
a secret an admin made here) and sends its customer to this site with it. This module keeps the
secrets, reads a token and spends it; whom it signs in is ideas/product_sign_in.py. Nothing here
knows HTTP: the pages are ideas/web/product_sign_in.py.

The token is checked in full before anything is written: the algorithm (HS256 and nothing else:
not `none`, not an RSA key's algorithm that a confused verifier would feed the secret to), the key
(`kid`, one of at most two live secrets, so a secret is rotated without downtime), the signature,
the audience (this site's BASE_URL), the times (at most ten minutes apart, a minute of leeway for
clocks) and the claims' shapes. Then its `jti` is spent: a primary key, so two requests carrying it
at once cannot both pass.
"""
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import jwt
from flask_babel import gettext as _
from sqlalchemy import Select, delete, select

from . import accounts, audit
from .company_values import BadValue, attribute_values
from .database import insert_ignore
from .errors import Conflict
from .events import ProductSecretCreated, ProductSecretRetired, secret_view
from .events.publish import publish
from .extensions import db
from .links import base_url
from .models import PRODUCT_ISSUER, ProductSecret, UsedProductToken, User, utcnow
from .models.product_token import JTI_MAX, KID_MAX
from .oidc import VerifiedIdentity

ALGORITHM = "HS256"
LEEWAY_SECONDS = 60
LIFETIME_MAX_SECONDS = 600
LIVE_MAX = 2
TOKEN_MAX = 8192  # characters: a token is a few hundred; anything this long is not one of ours
REQUIRED_CLAIMS = ("sub", "email", "name", "iat", "exp", "jti", "aud")
SUBJECT_MAX = 255
ATTRIBUTES_MAX = 50
ATTRIBUTE_NAME_MAX = 64
ATTRIBUTE_VALUE_MAX = 1000
COMPANY_FIELD_MAX = 255

Reason = Literal["missing", "malformed", "algorithm", "unknown_key", "signature", "expired",
                 "not_yet_valid", "audience", "lifetime", "claims", "company", "reused", "not_set_up"]


class TokenRejected(Exception):
    """The token cannot be trusted or used. `reason` names the check (the page words it for the
    customer); `detail` says exactly what was wrong, for the log and the admins' test box."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ProductClaims:
    """What a verified token says about the customer."""

    kid: str
    subject: str
    email: str  # normalised (ideas.accounts)
    email_verified: bool
    name: str
    jti: str
    issued_at: datetime
    expires_at: datetime
    company: dict[str, Any] | None = None

    def identity(self) -> VerifiedIdentity:
        """The claims as the identity ideas.sso's rules take."""
        return VerifiedIdentity(issuer=PRODUCT_ISSUER, subject=self.subject, email=self.email,
                                email_verified=self.email_verified, name=self.name)


# The secrets, made and retired by admins.

def secrets_list() -> Select[ProductSecret]:
    """Every secret ever made, live ones first, newest first within each."""
    return select(ProductSecret).order_by(ProductSecret.retired_at.is_not(None), ProductSecret.id.desc())


def live_secrets() -> list[ProductSecret]:
    """The secrets tokens may be signed with now, newest first."""
    return list(db.session.execute(
        select(ProductSecret).where(ProductSecret.retired_at.is_(None)).order_by(ProductSecret.id.desc())
    ).scalars())


def generate_secret(actor: User) -> tuple[ProductSecret, str]:
    """A new live secret and its value, to be shown once (admins only). At most LIVE_MAX are live:
    the new one while the product changes over, the old one until it is retired."""
    audit.require_admin(actor)
    if len(live_secrets()) >= LIVE_MAX:
        raise Conflict(_("Two secrets are live already: retire the one the product no longer uses "
                         "before making another."))
    value = secrets.token_urlsafe(32)
    row = ProductSecret(kid=f"{utcnow():%Y%m%d}-{secrets.token_hex(3)}", secret=value,
                        created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    publish(ProductSecretCreated(actor, row))
    return row, value


def retire_secret(actor: User, row: ProductSecret) -> None:
    """Stop accepting tokens signed with `row`, and forget its value (admins only)."""
    audit.require_admin(actor)
    if not row.live:
        raise Conflict(_("That secret is already retired."))
    before = secret_view(row)
    row.retired_at = utcnow()
    row.secret = None
    publish(ProductSecretRetired(actor, row, before))


# Checking a token.

def audiences() -> list[str]:
    """The `aud` values meant for this site: its BASE_URL, with or without the trailing slash."""
    return [base_url(), base_url() + "/"]


def read_token(token: str | None) -> ProductClaims:
    """The claims of `token` once every check passed; TokenRejected otherwise. Only reads."""
    if not token:
        raise TokenRejected("missing", "the request carries no token")
    if len(token) > TOKEN_MAX:
        raise TokenRejected("malformed", f"the token is {len(token)} characters long")
    kid, key = _key_for(_header(token))
    try:
        payload = jwt.decode(token, key, algorithms=[ALGORITHM], audience=audiences(),
                             leeway=LEEWAY_SECONDS, options={"require": list(REQUIRED_CLAIMS)})
    except jwt.InvalidSignatureError:
        raise TokenRejected("signature", f"the signature does not match key {kid!r}") from None
    except jwt.ExpiredSignatureError:
        raise TokenRejected("expired", "exp is past, beyond the leeway") from None
    except jwt.ImmatureSignatureError as error:
        raise TokenRejected("not_yet_valid", f"{error}: the product's clock is ahead") from None
    except jwt.InvalidAudienceError as error:
        raise TokenRejected("audience", f"{error}: aud must be {audiences()[0]!r}") from None
    except jwt.MissingRequiredClaimError as error:
        raise TokenRejected("claims", f"the token has no {error.claim!r} claim") from None
    except jwt.InvalidAlgorithmError as error:
        raise TokenRejected("algorithm", str(error)) from None
    except jwt.DecodeError as error:
        raise TokenRejected("malformed", str(error)) from None
    except jwt.InvalidTokenError as error:
        raise TokenRejected("claims", str(error)) from None
    return _claims(kid, payload)


def _header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as error:
        raise TokenRejected("malformed", f"not a JWT: {error}") from None
    if header.get("alg") != ALGORITHM:
        raise TokenRejected("algorithm", f"alg is {header.get('alg')!r}; only {ALGORITHM} is accepted")
    return header


def _key_for(header: dict[str, Any]) -> tuple[str, str]:
    """The kid the header names and its live secret."""
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenRejected("unknown_key", "the header names no key (kid)")
    if len(kid) > KID_MAX or "\x00" in kid:
        raise TokenRejected("unknown_key", f"no secret has kid {kid[:KID_MAX]!r}…")
    row = db.session.execute(select(ProductSecret).where(ProductSecret.kid == kid)).scalar()
    if row is None:
        if not live_secrets():
            raise TokenRejected("not_set_up", "no secret is live: make one on the admin page")
        raise TokenRejected("unknown_key", f"no secret has kid {kid!r}")
    if not row.live or row.secret is None:
        raise TokenRejected("unknown_key", f"the secret {kid!r} was retired on {row.retired_at:%Y-%m-%d}")
    return kid, row.secret


def _claims(kid: str, payload: dict[str, Any]) -> ProductClaims:
    """The claims' shapes and the token's lifetime, checked."""
    subject, jti, name, email = (payload[key] for key in ("sub", "jti", "name", "email"))
    for key, value, limit in (("sub", subject, SUBJECT_MAX), ("jti", jti, JTI_MAX)):
        if not isinstance(value, str) or not 0 < len(value) <= limit or "\x00" in value:
            raise TokenRejected("claims", f"{key} must be a string of 1 to {limit} characters")
    if not isinstance(name, str):
        raise TokenRejected("claims", "name must be a string")
    email = accounts.normalise_email(email) if isinstance(email, str) else ""
    if not accounts.EMAIL_SHAPE.fullmatch(email) or len(email) > accounts.EMAIL_MAX or "\x00" in email:
        raise TokenRejected("claims", "email must be an email address of at most 254 characters")
    issued, expires = _time(payload, "iat"), _time(payload, "exp")
    if expires - issued > LIFETIME_MAX_SECONDS:
        raise TokenRejected("lifetime", f"exp - iat is {expires - issued:.0f} s; at most "
                                        f"{LIFETIME_MAX_SECONDS} s is accepted")
    company = payload.get("company")
    if company is not None:
        _check_company(company)
    if payload.get("attributes") is not None:
        _check_attributes(payload["attributes"], "attributes")
    return ProductClaims(
        kid=kid, subject=subject, email=email, email_verified=payload.get("email_verified") is True,
        name=name, jti=jti, company=company,
        issued_at=datetime.fromtimestamp(issued, timezone.utc),
        expires_at=datetime.fromtimestamp(expires, timezone.utc))


def _time(payload: dict[str, Any], key: str) -> float:
    value = payload[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value < 2**40:
        raise TokenRejected("claims", f"{key} must be a number of seconds since 1970")
    return float(value)


def _check_company(company: Any) -> None:
    """`company`: {"id": string or integer, "name": string, "attributes": {...}}, each attribute a
    value a company may keep (ideas.company_values); the sign-in applies it (ideas.companies)."""
    if not isinstance(company, dict):
        raise TokenRejected("company", "company must be an object")
    unknown = sorted(set(company) - {"id", "name", "attributes"})
    if unknown:
        raise TokenRejected("company", f"company has fields this site does not know: {', '.join(unknown)}")
    ident, name = company.get("id"), company.get("name")
    if isinstance(ident, bool) or not isinstance(ident, (str, int)) or not str(ident) \
            or len(str(ident)) > COMPANY_FIELD_MAX or "\x00" in str(ident):
        raise TokenRejected("company", f"company.id must be a string or integer of 1 to "
                                       f"{COMPANY_FIELD_MAX} characters")
    if not isinstance(name, str) or not 0 < len(name) <= COMPANY_FIELD_MAX or "\x00" in name:
        raise TokenRejected("company", f"company.name must be a string of 1 to {COMPANY_FIELD_MAX} "
                                       "characters")
    if company.get("attributes") is not None:
        _check_attributes(company["attributes"], "company.attributes")
        try:  # the values companies keep (ideas.company_values): monthly_revenue a number, and so on
            attribute_values(company["attributes"])
        except BadValue as problem:
            raise TokenRejected("company", f"company.attributes: {problem.message}") from None


def _check_attributes(attributes: Any, where: str) -> None:
    """An object of at most ATTRIBUTES_MAX named plain values (text, number, true/false, null)."""
    reason: Reason = "company" if where.startswith("company") else "claims"
    if not isinstance(attributes, dict) or len(attributes) > ATTRIBUTES_MAX:
        raise TokenRejected(reason, f"{where} must be an object of at most {ATTRIBUTES_MAX} fields")
    for name, value in attributes.items():
        if not 0 < len(name) <= ATTRIBUTE_NAME_MAX or "\x00" in name:
            raise TokenRejected(reason, f"{where} has a field name of 0 or over {ATTRIBUTE_NAME_MAX} "
                                        "characters")
        plain = value is None or isinstance(value, (bool, int)) or (
            isinstance(value, float) and math.isfinite(value)) or (
            isinstance(value, str) and len(value) <= ATTRIBUTE_VALUE_MAX and "\x00" not in value)
        if not plain:
            raise TokenRejected(reason, f"{where}.{name} must be text (at most {ATTRIBUTE_VALUE_MAX} "
                                        "characters), a number, true, false or null")


# Spending a token.

def token_used(jti: str) -> bool:
    """True when a token with this id has signed someone in already."""
    return db.session.get(UsedProductToken, jti) is not None


def spend(claims: ProductClaims) -> None:
    """Record the token as used, or TokenRejected("reused") if it was. Tokens past any use are
    forgotten on the way."""
    now = utcnow()
    db.session.execute(delete(UsedProductToken).where(UsedProductToken.expires_at < now))
    fresh = insert_ignore(UsedProductToken, jti=claims.jti, used_at=now,
                          expires_at=claims.expires_at + timedelta(seconds=LEEWAY_SECONDS))
    if not fresh:
        raise TokenRejected("reused", f"jti {claims.jti!r} was used before")
