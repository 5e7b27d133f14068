"""Signing in from the company's product (ideas.product_tokens): the secrets the product signs its
tokens with, and the ids of the tokens already used."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow

# The `issuer` of the identities (ideas.models.identity) that tokens from the product link: an
# OpenID Connect issuer is always an https URL, so this one can never be taken by a provider.
PRODUCT_ISSUER = "product"
KID_MAX = 32
SECRET_MAX = 64
JTI_MAX = 255


class ProductSecret(Model):
    """A secret the product signs tokens with (HS256), named by the `kid` in the token's header.

    HMAC needs the secret itself to check a signature, so it is kept as it is (like the OpenID
    Connect client secret), shown once when made and never again. Retiring wipes it; the row
    stays so that a token naming a retired key is told apart from one naming a key never made,
    and so that a kid is never given out twice."""

    __tablename__ = "product_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(KID_MAX), unique=True)
    secret: Mapped[str | None] = mapped_column(String(SECRET_MAX))  # None once retired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def live(self) -> bool:
        return self.retired_at is None


class UsedProductToken(Model):
    """A token (its `jti`) that has signed someone in, kept until it could no longer be accepted.

    The primary key is what refuses a second use: two requests carrying the same token at once
    both try to insert it, and only one can."""

    __tablename__ = "used_product_tokens"

    jti: Mapped[str] = mapped_column(String(JTI_MAX), primary_key=True)
    # The token's `exp` plus the leeway for clocks: after it the token is refused as expired anyway.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
