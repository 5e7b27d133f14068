"""What single sign-on passes around, without the protocol's libraries: where to sign in, the
sign-in kept between leaving for the provider and coming back, who the provider says signed in, and
why a sign-in failed (ideas/oidc/protocol.py does the work)."""
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Provider:
    """Where to sign in, and who this site is there."""

    issuer: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Pending:
    """What the browser's session keeps between leaving for the provider and coming back."""

    issuer: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "Pending | None":
        """The pending sign-in a session kept, or None when it holds none (or something else)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{key: str(data[key]) for key in cls.__dataclass_fields__})
        except KeyError:
            return None


@dataclass(frozen=True)
class VerifiedIdentity:
    """Who the provider says signed in, from a verified ID token (and its userinfo)."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


class SignInFailed(Exception):
    """The answer cannot be trusted or used. `reason` names the check (the page words it for a
    person); `detail` is for the log only."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def issuer_shape_ok(issuer: str) -> bool:
    """An issuer is an https URL with no query or fragment; plain http only on this machine."""
    parts = urlsplit(issuer)
    if parts.query or parts.fragment or not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
