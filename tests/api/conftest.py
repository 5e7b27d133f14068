"""Fixtures for the JSON API: keys for members, and a client that sends them."""
import pytest

from ideas.api_keys import create_api_key
from ideas.extensions import db
from ideas.models import User

API = "/api/v1"


def bearer(token):
    """The header that authenticates a request with an API key."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def make_key(app):
    """Create an API key for a member and return its token: make_key(member, name="CI")."""
    def make(member, name="Test key"):
        with app.app_context():
            key, token = create_api_key(db.session.get(User, member.id), name)
            db.session.commit()
            return token

    return make


class ApiClient:
    """The test client, speaking JSON to /api/v1 with a key (or none)."""

    def __init__(self, client, token=None):
        self.client = client
        self.token = token

    def request(self, method, path, json=None, headers=None, **kwargs):
        all_headers = {**(bearer(self.token) if self.token else {}), **(headers or {})}
        return self.client.open(API + path, method=method, json=json, headers=all_headers, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api_as(client, make_key):
    """api_as(member) is a client using a fresh key of `member`; api_as(None) sends no key."""
    def make(member):
        return ApiClient(client, make_key(member) if member is not None else None)

    return make


def error_of(response):
    """The error object of a JSON error response."""
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]
