"""OpenID Connect, the protocol: discovery, the authorization request, and the checks on what comes
back. Authlib and joserfc do the cryptography. Nothing here knows Flask's request or session: the
web layer (ideas/web/sso.py) keeps `Pending` in the browser's session and hands back the query.

Every check the spec asks of a relying party is made here, and each failure is a `SignInFailed`
with a short reason the page turns into words and the log keeps: the `state` (the answer belongs
to the request this browser started), PKCE (a stolen code is useless without the verifier kept in
that session), the `iss` of the answer (RFC 9207), and the ID token's signature (the provider's
published keys, asymmetric algorithms only), issuer, audience, expiry and `nonce`.

Authlib and requests cost each web process about 16 MiB, and most sites never set up single
sign-on: the protocol module is imported the first time a sign-in starts, finishes or a setup is
checked, and only the shapes below load with the app.
"""
from typing import Any, Mapping

from .shapes import LOOPBACK_HOSTS, Pending, Provider, SignInFailed, VerifiedIdentity, issuer_shape_ok

__all__ = ["LOOPBACK_HOSTS", "Pending", "Provider", "SignInFailed", "VerifiedIdentity", "begin", "discover",
           "finish", "issuer_shape_ok"]


def begin(provider: Provider, redirect_uri: str) -> tuple[str, Pending]:
    """Where to send the browser to sign in, and what its session keeps meanwhile."""
    from . import protocol
    return protocol.begin(provider, redirect_uri)


def finish(provider: Provider, pending: Pending, answer: Mapping[str, str]) -> VerifiedIdentity:
    """Who signed in, from the provider's answer, once every check has passed."""
    from . import protocol
    return protocol.finish(provider, pending, answer)


def discover(issuer: str) -> dict[str, Any]:
    """The provider's discovery document (read, checked and cached)."""
    from . import protocol
    return protocol.discover(issuer)
