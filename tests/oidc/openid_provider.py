"""The OpenID Connect provider the tests sign in through: npm's oidc-provider (OpenID-certified), run
by node from tests/oidc/provider.mjs on a free port for the whole test session.

`make test` installs it (`npm ci --ignore-scripts` from the committed lock); without node, or
before that install, the tests that need it skip and say why. The suite makes the provider's
signing key, so a test can forge what a provider "could" have signed (a token for another
audience, an expired one) and prove the app refuses it for that reason alone.
"""
import base64
import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

HERE = Path(__file__).resolve().parent
CLIENT_ID = "ideas-tests"
CLIENT_SECRET = "a client secret only the tests know"
# TestingConfig's BASE_URL is http://localhost: the app registers its callback there.
APP_ORIGIN = "http://localhost"
REDIRECT_URI = f"{APP_ORIGIN}/auth/sso/callback"
START_SECONDS = 20

NODE_MISSING = ("node is not installed, so the OpenID Connect tests skip (Debian and Ubuntu: "
                "apt-get install nodejs npm)")
NOT_INSTALLED = ("the test OpenID provider is not installed, so the OpenID Connect tests skip: "
                 "`make test` installs it, or run `npm ci --ignore-scripts` in tests/oidc")


def new_key(kid: str = "tests-1") -> RSAKey:
    """An RSA signing key with a key id, as a provider publishes."""
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


def claims_of(token: str) -> dict:
    """The claims of a signed token, read without checking anything."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@dataclass
class OpenIdProvider:
    """The running provider: its issuer, its signing key, and a person's moves at its pages."""

    issuer: str
    key: RSAKey
    process: subprocess.Popen = field(repr=False)
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def sign(self, claims: dict, key: RSAKey | None = None) -> str:
        """A token with these claims signed by the provider's key (or `key`), as the provider signs."""
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def with_client(self, redirect_uri: str) -> "OpenIdProvider":
        """This provider as seen by a new client registered at it (RFC 7591) for `redirect_uri`: a
        browser test's live server, whose port the session's one client could not know."""
        registration = requests.get(f"{self.issuer}/.well-known/openid-configuration",
                                    timeout=10).json()["registration_endpoint"]
        response = requests.post(registration, json={"redirect_uris": [redirect_uri],
                                                     "token_endpoint_auth_method": "client_secret_basic"},
                                 timeout=10)
        assert response.status_code == 201, response.text[:1000]
        client = response.json()
        return replace(self, client_id=client["client_id"], client_secret=client["client_secret"])

    def sign_in(self, authorize_url: str, sub: str, email: str | None = None, email_verified: bool = True,
                name: str | None = None) -> str:
        """Sign in at the provider as this person; returns the app's address it sends the browser to."""
        form = {"sub": sub, "email": email or "", "name": name or "",
                "email_verified": "true" if email_verified else "false"}
        return self._walk(authorize_url, "login", form)

    def cancel(self, authorize_url: str) -> str:
        """Press "Cancel" at the provider; returns the app's address it sends the browser to."""
        return self._walk(authorize_url, "abort", {})

    def _walk(self, url: str, action: str, form: dict) -> str:
        """Follow the provider's redirects in a browser of its own, answering its login page, until
        it sends the browser back to the app."""
        browser = requests.Session()
        for _ in range(10):
            if url.startswith(REDIRECT_URI):
                return url
            path = urlsplit(url).path
            if path.startswith("/interaction/"):
                response = browser.post(f"{self.issuer}{path}/{action}", data=form, allow_redirects=False,
                                        timeout=10)
            else:
                response = browser.get(url, allow_redirects=False, timeout=10)
            assert response.status_code in (302, 303), response.text[:1000]
            url = urljoin(url, response.headers["Location"])
        raise AssertionError(f"the provider never sent the browser back (last at {url})")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_ready(process: subprocess.Popen, issuer: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test OpenID provider stopped at start:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the test OpenID provider did not start in {START_SECONDS} s:\n"
                       f"{log.read_text()[-3000:]}")


@pytest.fixture(scope="session", name="openid_provider")
def running_openid_provider(tmp_path_factory):
    """`openid_provider`: a real OpenID provider on 127.0.0.1 for this test session, with one client:
    this app. tests/conftest.py imports it, so every test (the browser's too) shares the one provider."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(NODE_MISSING)
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        pytest.skip(NOT_INSTALLED)
    folder = tmp_path_factory.mktemp("openid-provider")
    key = new_key()
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = folder / "provider.json"
    config.write_text(json.dumps({
        "port": port, "issuer": issuer, "keys": [key.as_dict(private=True)],
        "client": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [REDIRECT_URI]},
    }))
    log = folder / "provider.log"
    with log.open("w") as output:
        process = subprocess.Popen([node, str(HERE / "provider.mjs"), str(config)], cwd=HERE,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(process, issuer, log)
        yield OpenIdProvider(issuer=issuer, key=key, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
