"""Who may do what through the API: every mutating operation for every kind of person."""
import pytest

from ideas.extensions import db
from ideas.models import Idea, User
from ideas.proposals import propose_idea

# The rules checked here live in code, not in the database: one database is enough.
pytestmark = pytest.mark.sqlite_only

ACTORS = ["anonymous", "member", "author", "staff", "admin"]
EVERYONE = {"anonymous": 401, "member": 200, "author": 200, "staff": 200, "admin": 200}
STAFF = {"anonymous": 401, "member": 403, "author": 403, "staff": 200, "admin": 200}

# method, path, JSON body, the expected status per actor
MATRIX = [
    ("POST", "/ideas", {"title": "A new idea"}, {**EVERYONE, "member": 201, "author": 201, "staff": 201,
                                                "admin": 201}),
    ("PATCH", "/ideas/{idea}", {"title": "Edited"}, {**EVERYONE, "member": 403}),
    ("DELETE", "/ideas/{idea}", None,
     {"anonymous": 401, "member": 403, "author": 204, "staff": 403, "admin": 403}),
    ("PUT", "/ideas/{idea}/vote", None, EVERYONE),
    ("PUT", "/ideas/{idea}/vote", {"email": "customer@example.com"}, STAFF),
    ("DELETE", "/ideas/{idea}/vote", None, EVERYONE),
    ("PUT", "/ideas/{idea}/follow", {"level": "all"}, EVERYONE),
    ("DELETE", "/ideas/{idea}/follow", None, EVERYONE),
    ("POST", "/ideas/{idea}/comments", {"body": "A comment"},
     {**EVERYONE, "member": 201, "author": 201, "staff": 201, "admin": 201}),
    ("POST", "/ideas/{idea}/comments", {"body": "A note", "visibility": "internal"},
     {**STAFF, "staff": 201, "admin": 201}),
    ("POST", "/ideas/{idea}/status", {"status": "planned", "note": "Soon."}, STAFF),
    ("POST", "/ideas/{idea}/merge", {"into": "{other}"}, STAFF),
    ("DELETE", "/ideas/{idea}/merge", None, {**STAFF, "staff": 409, "admin": 409}),
    ("PUT", "/ideas/{idea}/tags", {"tags": []}, STAFF),
]


@pytest.fixture
def world(app, make_user, make_key):
    """An author with an idea, another idea, and a key for one person of every other kind."""
    people = {role: make_user(role=role if role in ("staff", "admin") else "member")
              for role in ("member", "author", "staff", "admin")}
    with app.app_context():
        author = db.session.get(User, people["author"].id)
        ids = {"idea": propose_idea(author, "The author's idea").id,
               "other": propose_idea(author, "Another idea").id}
        db.session.commit()
    keys = {role: make_key(person) for role, person in people.items()}
    return keys, ids


def _fill(value, ids):
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if value == "{other}":
        return ids["other"]
    return value


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("method, path, body, expected", MATRIX,
                         ids=[f"{row[0]} {row[1]} {sorted(row[2] or {})}" for row in MATRIX])
def test_access_matrix(client, world, fetch, method, path, body, expected, actor):
    keys, ids = world
    headers = {"Authorization": f"Bearer {keys[actor]}"} if actor != "anonymous" else {}

    response = client.open(f"/api/v1{path.format(**ids)}", method=method, json=_fill(body, ids),
                           headers=headers)

    assert response.status_code == expected[actor], response.get_data(as_text=True)[:500]
    if response.status_code in (401, 403):
        assert fetch(lambda: db.session.get(Idea, ids["idea"]).status) == "open"
