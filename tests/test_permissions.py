"""Who may do what: every mutating route for every kind of person, checked on the server."""
import re

import pytest

from ideas.extensions import db
from ideas.models import User
from ideas.comments import add_comment
from ideas.models import Idea

# The rules checked here live in code, not in the database: one database is enough.
pytestmark = pytest.mark.sqlite_only

LOGIN = "login"  # signed-out visitors are sent to sign in

# route template, form data, and the expected status per actor
MATRIX = [
    ("/ideas/new", {"title": "A new idea", "kind": "idea"},
     {"anonymous": LOGIN, "member": 303, "author": 303, "staff": 303, "admin": 303}),
    ("/ideas/{idea}/edit", {"title": "Edited", "kind": "idea"},
     {"anonymous": LOGIN, "member": 403, "author": 303, "staff": 303, "admin": 303}),
    ("/ideas/{idea}/withdraw", {},
     {"anonymous": LOGIN, "member": 403, "author": 303, "staff": 403, "admin": 403}),
    ("/ideas/{idea}/vote", {},
     {"anonymous": LOGIN, "member": 303, "author": 303, "staff": 303, "admin": 303}),
    ("/ideas/{idea}/unvote", {},
     {"anonymous": LOGIN, "member": 303, "author": 303, "staff": 303, "admin": 303}),
    ("/ideas/{idea}/follow", {},
     {"anonymous": LOGIN, "member": 303, "author": 303, "staff": 303, "admin": 303}),
    ("/ideas/{idea}/unfollow", {},
     {"anonymous": LOGIN, "member": 303, "author": 303, "staff": 303, "admin": 303}),
    ("/ideas/{idea}/comments", {"body": "A comment"},
     {"anonymous": LOGIN, "member": 303, "author": 303, "staff": 303, "admin": 303}),
    ("/comments/{comment}/edit", {"edit-body": "Edited comment"},
     {"anonymous": LOGIN, "member": 403, "author": 303, "staff": 403, "admin": 403}),
    ("/comments/{comment}/delete", {},
     {"anonymous": LOGIN, "member": 403, "author": 303, "staff": 403, "admin": 403}),
    ("/account/name", {"name": "New name"},
     {"anonymous": LOGIN, "member": 303, "author": 303, "staff": 303, "admin": 303}),
    ("/account/password", {"current_password": "correct horse battery",
                           "password": "a new password", "confirm": "a new password"},
     {"anonymous": LOGIN, "member": 303, "author": 303, "staff": 303, "admin": 303}),
    ("/auth/confirm/resend", {},
     {"anonymous": LOGIN, "member": 303, "author": 303, "staff": 303, "admin": 303}),
    ("/admin/settings", {"require_confirmation": "y"},
     {"anonymous": LOGIN, "member": 403, "author": 403, "staff": 403, "admin": 303}),
]
ACTORS = ["anonymous", "member", "author", "staff", "admin"]


@pytest.fixture
def world(app, make_user, make_idea):
    """An author with an idea and a comment on it, and one person of every other kind."""
    people = {role: make_user(role=role if role in ("staff", "admin") else "member")
              for role in ("member", "author", "staff", "admin")}
    idea = make_idea(author=people["author"])
    with app.app_context():
        comment = add_comment(db.session.get(User, people["author"].id),
                              db.session.get(Idea, idea.id), "The author's comment")
        db.session.commit()
        comment_id = comment.id
    return people, {"idea": idea.id, "comment": comment_id}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route, data, expected", MATRIX, ids=[row[0] for row in MATRIX])
def test_access_matrix(client, auth, world, route, data, expected, actor):
    people, ids = world
    if actor != "anonymous":
        auth.login(people[actor])

    response = client.post(route.format(**ids), data=data)

    if expected[actor] == LOGIN:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
    else:
        assert response.status_code == expected[actor], response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("actor, status", [("member", 403), ("staff", 200), ("admin", 200)])
def test_members_page_is_for_staff(client, auth, world, actor, status):
    auth.login(world[0][actor])

    assert client.get("/staff/members").status_code == status


def test_refused_changes_write_nothing(client, auth, world, fetch):
    people, ids = world
    auth.login(people["member"])

    client.post(f"/ideas/{ids['idea']}/edit", data={"title": "Hijacked", "kind": "idea"})
    client.post(f"/ideas/{ids['idea']}/withdraw")

    idea = fetch(lambda: db.session.get(Idea, ids["idea"]))
    assert (idea.title, idea.withdrawn_at) == ("Add a dark mode", None)


def _team_routes():
    """(path template, method) of every staff and admin route, read from the app's URL map."""
    from ideas import create_app

    app = create_app("testing")
    routes = []
    for rule in app.url_map.iter_rules():
        role = getattr(app.view_functions[rule.endpoint], "required_role", None)
        if role is not None:
            for method in sorted(rule.methods & {"GET", "POST"}):
                routes.append((rule.rule, method, role))
    return sorted(set(routes))


TEAM_ROUTES = _team_routes()


def _fill(path, ids):
    """The route's path with each <converter:name> replaced by the sample id for `name`."""
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda match: str(ids[match.group(1)]), path)


@pytest.fixture
def team_world(app, world, make_tag):
    """The world above plus a tag and a changelog entry, with ids for every route argument."""
    from ideas.models import ChangelogEntry, utcnow

    people, ids = world
    with app.app_context():
        entry = ChangelogEntry(title="Sample entry", author_id=people["staff"].id,
                               published_at=utcnow())
        db.session.add(entry)
        db.session.commit()
        entry_id = entry.id
    return people, {"idea_id": ids["idea"], "comment_id": ids["comment"],
                    "member_id": people["member"].id, "tag_id": make_tag("sample").id,
                    "entry_id": entry_id, "endpoint_id": 1, "invitation_id": 1}


@pytest.mark.parametrize("actor", ["anonymous", "member", "author", "staff", "admin"])
@pytest.mark.parametrize("path, method, role", TEAM_ROUTES,
                         ids=[f"{m} {p}" for p, m, _ in TEAM_ROUTES])
def test_every_team_route_checks_the_role_on_the_server(client, auth, team_world, path, method,
                                                        role, actor):
    people, ids = team_world
    if actor != "anonymous":
        auth.login(people[actor])
    admin_only = role == "admin"

    response = client.open(_fill(path, ids), method=method, data={})

    if actor == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
    elif actor in ("member", "author") or (actor == "staff" and admin_only):
        assert response.status_code == 403
    else:
        assert response.status_code not in (302, 401, 403), response.status_code


def test_the_team_route_list_covers_every_area():
    paths = {path for path, _, _ in TEAM_ROUTES}

    assert any(p.startswith("/staff") for p in paths)
    assert any(p.startswith("/admin") for p in paths)
    assert any(p.startswith("/ideas/<int:idea_id>/") for p in paths)
    assert any(p.startswith(("/changelog", "/announcements")) for p in paths)
