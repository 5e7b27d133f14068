"""OpenID Connect, the protocol (see ideas/oidc/__init__.py): discovery, the authorization request,
and the checks on what comes back, with Authlib and joserfc."""
import hmac
import logging
import time
from typing import Any, Mapping

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from .shapes import Pending, Provider, SignInFailed, VerifiedIdentity

log = logging.getLogger(__name__)

SCOPE = "openid email profile"
TIMEOUT_SECONDS = 10
# Discovery documents and key sets are read again after this long; an unknown key id reads the
# keys at once (the provider rotated them).
CACHE_SECONDS = 300
# Clocks differ a little between the provider and this server.
LEEWAY_SECONDS = 60
# Signatures with the provider's published keys only: never `none`, never a shared-secret HMAC
# (which would let anyone who knows the client secret sign tokens).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")

_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def _get_json(url: str, what: str) -> dict[str, Any]:
    """GET a JSON object from the provider; SignInFailed("unreachable") when that fails."""
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise SignInFailed("unreachable", f"{what} at {url}: {error}") from None
    if not isinstance(data, dict):
        raise SignInFailed("unreachable", f"{what} at {url} is not a JSON object")
    return data


def _cached(url: str, what: str, refresh: bool = False) -> dict[str, Any]:
    now = time.monotonic()
    hit = _cache.get(url)
    if hit is None or refresh or now - hit[0] > CACHE_SECONDS:
        hit = _cache[url] = (now, _get_json(url, what))
    return hit[1]


def discover(issuer: str) -> dict[str, Any]:
    """The provider's discovery document, which must name this very issuer (OpenID Connect
    Discovery 4.3: a document claiming another issuer could send us to someone else's endpoints)."""
    metadata = _cached(issuer.rstrip("/") + "/.well-known/openid-configuration", "discovery document")
    if metadata.get("issuer") != issuer:
        raise SignInFailed("discovery", f"the document names issuer {metadata.get('issuer')!r}, "
                                        f"not {issuer!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(key), str):
            raise SignInFailed("discovery", f"the document has no {key}")
    return metadata


def _client(provider: Provider, metadata: dict[str, Any], redirect_uri: str) -> OAuth2Session:
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    method = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
    return OAuth2Session(provider.client_id, provider.client_secret, token_endpoint_auth_method=method,
                         scope=SCOPE, redirect_uri=redirect_uri, code_challenge_method="S256",
                         default_timeout=TIMEOUT_SECONDS)


def begin(provider: Provider, redirect_uri: str) -> tuple[str, Pending]:
    """The provider's address to send the browser to, and what to keep until it comes back."""
    metadata = discover(provider.issuer)
    pending = Pending(issuer=provider.issuer, state=generate_token(32), nonce=generate_token(32),
                      code_verifier=generate_token(64), redirect_uri=redirect_uri)
    with _client(provider, metadata, redirect_uri) as client:
        url, _state = client.create_authorization_url(
            metadata["authorization_endpoint"], state=pending.state, nonce=pending.nonce,
            code_verifier=pending.code_verifier)
    return url, pending


def finish(provider: Provider, pending: Pending, answer: Mapping[str, str]) -> VerifiedIdentity:
    """Check the provider's answer (the query it sent the browser back with), redeem its code and
    verify the ID token; who signed in, or SignInFailed."""
    if pending.issuer != provider.issuer:
        raise SignInFailed("state", "the provider was changed while this sign-in was under way")
    if not hmac.compare_digest(answer.get("state", "").encode(), pending.state.encode()):
        raise SignInFailed("state", "the answer's state is not the one this browser was sent with")
    if answer.get("error"):
        reason = "denied" if answer["error"] in ("access_denied", "login_required") else "provider"
        raise SignInFailed(reason, f"{answer['error']}: {answer.get('error_description', '')}"[:300])
    if "iss" in answer and answer["iss"] != provider.issuer:
        raise SignInFailed("issuer", f"the answer comes from {answer['iss']!r}")
    if not answer.get("code"):
        raise SignInFailed("provider", "the answer carries no code")
    metadata = discover(provider.issuer)
    token = exchange_code(provider, metadata, answer["code"], pending)
    claims = verify_id_token(provider, metadata, token.get("id_token"), pending.nonce,
                             token.get("access_token"))
    if "email" not in claims and metadata.get("userinfo_endpoint") and token.get("access_token"):
        claims = {**_userinfo(metadata["userinfo_endpoint"], token["access_token"], claims["sub"]), **claims}
    return _identity(provider.issuer, claims)


def exchange_code(provider: Provider, metadata: dict[str, Any], code: str,
                  pending: Pending) -> dict[str, Any]:
    """The token endpoint's answer for `code`, proven ours by the PKCE verifier and the client secret."""
    with _client(provider, metadata, pending.redirect_uri) as client:
        try:
            token = client.fetch_token(metadata["token_endpoint"], grant_type="authorization_code",
                                       code=code, code_verifier=pending.code_verifier)
        except requests.RequestException as error:
            raise SignInFailed("unreachable", f"token endpoint: {error}") from None
        except AuthlibBaseError as error:
            raise SignInFailed("exchange", f"token endpoint refused the code: {error}") from None
    return dict(token)


def verify_id_token(provider: Provider, metadata: dict[str, Any], id_token: Any, nonce: str,
                    access_token: str | None = None) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, expiry and nonce are right."""
    if not isinstance(id_token, str) or not id_token:
        raise SignInFailed("token", "the token endpoint sent no ID token")
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    registry = JWSRegistry(algorithms=[alg for alg in ALGORITHMS if alg in offered] or ["RS256"])
    try:
        try:
            token = jwt.decode(id_token, _key_set(metadata), registry=registry)
        except InvalidKeyIdError:  # signed with a key published since we last read the keys
            token = jwt.decode(id_token, _key_set(metadata, refresh=True), registry=registry)
    except JoseError as error:
        raise SignInFailed("signature", f"{type(error).__name__}: {error}") from None
    options = {"iss": {"essential": True, "value": provider.issuer},
               "aud": {"essential": True, "value": provider.client_id},
               "sub": {"essential": True}}
    params = {"nonce": nonce, "client_id": provider.client_id, "access_token": access_token}
    claims = CodeIDToken(token.claims, token.header, options, params)
    try:
        claims.validate(leeway=LEEWAY_SECONDS)
    except ExpiredTokenError:
        raise SignInFailed("expired", f"exp {claims.get('exp')} is past") from None
    except ClaimError as error:
        reason = {"iss": "issuer", "aud": "audience", "azp": "audience", "nonce": "nonce"}.get(
            error.claim, "token")
        raise SignInFailed(reason, f"{error}: {claims.get(error.claim)!r}"[:300]) from None
    return dict(claims)


def _key_set(metadata: dict[str, Any], refresh: bool = False) -> KeySet:
    data = _cached(metadata["jwks_uri"], "key set", refresh=refresh)
    try:
        return KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise SignInFailed("discovery", f"the key set cannot be read: {error}") from None


def _userinfo(url: str, access_token: str, subject: str) -> dict[str, Any]:
    """The userinfo endpoint's claims, which must be about the ID token's subject (Core 5.3.2)."""
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS,
                                headers={"Authorization": f"Bearer {access_token}",
                                         "Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise SignInFailed("unreachable", f"userinfo endpoint: {error}") from None
    if not isinstance(data, dict) or data.get("sub") != subject:
        raise SignInFailed("token", "the userinfo answer is about someone else")
    return data


def _identity(issuer: str, claims: dict[str, Any]) -> VerifiedIdentity:
    email, name = claims.get("email"), claims.get("name")
    subject = claims["sub"]
    if not isinstance(subject, str) or not 0 < len(subject) <= 255:
        raise SignInFailed("token", "the subject is not a string of 1 to 255 characters")
    return VerifiedIdentity(
        issuer=issuer, subject=subject,
        email=email.strip() if isinstance(email, str) and email.strip() else None,
        # Only a JSON true counts: some providers send the string "false", which is truthy.
        email_verified=claims.get("email_verified") is True,
        name=name if isinstance(name, str) else None)
