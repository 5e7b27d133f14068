"""Who may do what: every mutating route for every kind of person, checked on the server."""
import io
import json
import re
from typing import NamedTuple

import pytest
from flask import current_app
from sqlalchemy import select

from ideas import access, product_tokens, webhooks
from ideas.comments import add_comment
from ideas.boards import create_board
from ideas.csv_import import store_upload
from ideas.extensions import db
from ideas.merging import merge_ideas
from ideas.models import (
    Announcement, AuditEntry, Board, ChangelogEntry, Comment, Company, CompanyMember, Idea, IdeaPriority,
    Invitation, ProductSecret, Segment, Tag, User, Vote, WebhookDelivery, WebhookEndpoint, utcnow,
)
from ideas.moderation import hide_comment, hide_idea, suspend_member
from ideas.site_settings import get_setting
from ideas.status_list import keys, status_of
from ideas.webhooks import create_endpoint
from ideas.workflow import create_status

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
def team_world(app, world, make_user, make_idea, make_tag, make_company, monkeypatch, tmp_path):
    """The world above plus everything a team route acts on, with ids for every route argument."""
    people, ids = world
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "imports")
    # A test ping is answered here, so sending one succeeds without the network.
    monkeypatch.setattr(webhooks.worker, "post_json", lambda *args, **kwargs: (204, "No Content"))
    # Someone other than the actors: a suspended member could not sign in to act.
    customer = make_user(name="Cass Customer")
    other = make_idea(title="Export to PDF")
    tag = make_tag("sample")
    company = make_company("Acme")
    with app.app_context():
        staff = db.session.get(User, people["staff"].id)
        entry = ChangelogEntry(title="Sample entry", author_id=staff.id, published_at=utcnow())
        db.session.add(entry)
        endpoint = create_endpoint(db.session.get(User, people["admin"].id),
                                   "https://hooks.example.com/ideas", ["idea.created"])
        invitation = access.invite(staff, "guest@example.com")
        secret, _value = product_tokens.generate_secret(db.session.get(User, people["admin"].id))
        segment = Segment(name="Enterprise", rules=json.dumps(SEGMENT_RULES))
        db.session.add(segment)
        board = create_board(db.session.get(User, people["admin"].id),
                             {"name": "Partners", "access": "public"})
        create_status(db.session.get(User, people["admin"].id), STATUS_FORM)
        db.session.commit()
        return people, {"idea_id": ids["idea"], "comment_id": ids["comment"],
                        "member_id": customer.id, "tag_id": tag.id, "entry_id": entry.id,
                        "endpoint_id": endpoint.id, "invitation_id": invitation.id,
                        "other_idea_id": other.id, "staff_id": staff.id, "secret_id": secret.id,
                        "company_id": company.id, "segment_id": segment.id, "member_email": customer.email,
                        "board_id": board.id, "key": "beta"}


def _get(model, key):
    """A function of the ids that loads the `model` row whose id is ids[key]."""
    return lambda ids: db.session.get(model, ids[key])


_idea, _comment, _member = _get(Idea, "idea_id"), _get(Comment, "comment_id"), _get(User, "member_id")
_endpoint, _invitation = _get(WebhookEndpoint, "endpoint_id"), _get(Invitation, "invitation_id")


def _exists(model, *where):
    return db.session.execute(select(model).where(*where).limit(1)).scalar() is not None


def _audited(action):
    """A check that the route made its change rather than found it made: the change is audited."""
    return lambda response, ids: _exists(AuditEntry, AuditEntry.action == action)


# Arrangements: each puts the world in the state the route acts on (run in an app context).

def _hidden_idea(ids, staff, actor):
    hide_idea(staff, _idea(ids))


def _hidden_comment(ids, staff, actor):
    hide_comment(staff, _comment(ids))


def _merged_idea(ids, staff, actor):
    merge_ideas(staff, _idea(ids), db.session.get(Idea, ids["other_idea_id"]))


def _held_idea(ids, staff, actor):
    _idea(ids).awaiting_approval = True


def _suspended_member(ids, staff, actor):
    suspend_member(staff, _member(ids))


def _in_company(ids, staff, actor):
    db.session.add(CompanyMember(user_id=ids["member_id"], company_id=ids["company_id"], source="staff"))


def _dry_run_seen(ids, staff, actor):
    # The token names an upload of the signed-in person's own; nobody else's is accepted.
    ids["token"] = store_upload(current_app.config["IMPORT_UPLOAD_DIR"], actor or staff,
                                CSV_FILE, "ideas.csv")


class Success(NamedTuple):
    """A valid request to a team route, and what it answers when it works."""

    status: int
    data: dict = {}  # form fields; "{name}" in keys and values is the id named; bytes are a file
    arrange: object = None  # arrange(ids, staff, actor): the state the route needs
    check: object = None  # check(response, ids), in an app context: true once it did its work


CSV_FILE = b"id,title,kind,status,author_email\r\n1,Imported idea,idea,open,ada@example.com\r\n"
SEGMENT_RULES = [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}]
SEGMENT_FORM = {"name": "Big accounts", "match": "any", "rules-0-field": "attribute.plan",
                "rules-0-operator": "is", "rules-0-value": "Enterprise"}
ENTRY = {"title": "Faster exports", "body": "", "ideas": "", "date": "", "action": "publish"}
ENDPOINT = {"url": "https://hooks.example.com/v2", "events": ["vote.created"], "secret": ""}


def _is_csv(response, ids):
    return response.mimetype == "text/csv"


BOARD_FORM = {"name": "Mobile app", "slug": "mobile", "description": "", "position": "1", "access": "members"}
STATUS_FORM = {"key": "beta", "label_en": "Beta", "label_de": "", "category": "in_progress", "colour": "",
               "symbol": ""}

SUCCESS = {
    ("/admin/boards/", "GET"): Success(200),
    ("/admin/boards/new", "GET"): Success(200),
    ("/admin/boards/new", "POST"): Success(
        303, BOARD_FORM, check=lambda r, ids: _exists(Board, Board.slug == "mobile")),
    ("/admin/boards/<id:board_id>/edit", "GET"): Success(200),
    ("/admin/boards/<id:board_id>/edit", "POST"): Success(
        303, BOARD_FORM, check=lambda r, ids: db.session.get(Board, ids["board_id"]).access == "members"),
    ("/admin/boards/<id:board_id>/delete", "POST"): Success(
        303, check=lambda r, ids: db.session.get(Board, ids["board_id"]) is None),
    ("/admin/boards/main", "POST"): Success(
        303, {"main_board_name": "Product"},
        check=lambda r, ids: get_setting("main_board_name") == "Product"),
    ("/ideas/<id:idea_id>/tags", "POST"): Success(
        303, {"tags": "{tag_id}"},
        check=lambda r, ids: [tag.id for tag in _idea(ids).tags] == [ids["tag_id"]]),
    ("/ideas/<id:idea_id>/board", "POST"): Success(
        303, {"board": "partners"}, check=lambda r, ids: _idea(ids).board_id == ids["board_id"]),
    ("/admin/access", "GET"): Success(200),
    ("/admin/accountability", "GET"): Success(200),
    ("/admin/accountability", "POST"): Success(
        303, {"days": "14"}, check=lambda r, ids: get_setting("answer_promise_days") == "14"),
    ("/admin/access", "POST"): Success(303, {"signup_mode": "invitation", "allowed_domains": ""},
                                       check=lambda r, ids: access.access_rules().signup_mode
                                       == "invitation"),
    ("/admin/audit", "GET"): Success(200),
    ("/admin/branding", "GET"): Success(200),
    ("/admin/branding", "POST"): Success(303, {"site_name": "Acme ideas", "accent_colour": "",
                                               "welcome": ""},
                                         check=lambda r, ids: get_setting("site_name") == "Acme ideas"),
    ("/admin/members/<id:member_id>/role", "POST"): Success(
        303, {"role": "staff"}, check=lambda r, ids: _member(ids).role == "staff"),
    ("/admin/product-sign-in", "GET"): Success(200),
    ("/admin/product-sign-in/check", "POST"): Success(
        200, {"token": "not-a-token"}, check=lambda r, ids: b"would not sign anyone in" in r.data),
    ("/admin/product-sign-in/secrets", "POST"): Success(
        200, check=lambda r, ids: len(product_tokens.live_secrets()) == 2),
    ("/admin/product-sign-in/secrets/<id:secret_id>/retire", "POST"): Success(
        303, check=lambda r, ids: not db.session.get(ProductSecret, ids["secret_id"]).live),
    ("/admin/priority", "GET"): Success(200),
    ("/admin/priority", "POST"): Success(
        303, {"votes": "2", "importance": "1", "revenue": "1", "impact": "1", "effort": "1"},
        check=lambda r, ids: get_setting("priority_votes") == "2"),
    ("/admin/segments/", "GET"): Success(200),
    ("/admin/segments/new", "GET"): Success(200),
    ("/admin/segments/new", "POST"): Success(
        303, SEGMENT_FORM, check=lambda r, ids: _exists(Segment, Segment.name == "Big accounts")),
    ("/admin/segments/<id:segment_id>/edit", "GET"): Success(200),
    ("/admin/segments/<id:segment_id>/edit", "POST"): Success(
        303, SEGMENT_FORM, check=lambda r, ids: db.session.get(Segment, ids["segment_id"]).match == "any"),
    ("/admin/segments/<id:segment_id>/delete", "POST"): Success(
        303, check=lambda r, ids: db.session.get(Segment, ids["segment_id"]) is None),
    ("/admin/settings", "GET"): Success(200),
    ("/admin/settings", "POST"): Success(
        303, {"require_confirmation": "y"},
        check=lambda r, ids: get_setting("require_confirmation") == "1"),
    ("/admin/sso", "GET"): Success(200),
    ("/admin/sso", "POST"): Success(303, {"issuer": "", "client_id": "", "label": "Acme account"},
                                    check=lambda r, ids: get_setting("oidc_label") == "Acme account"),
    ("/admin/statuses/", "GET"): Success(200),
    ("/admin/statuses/new", "GET"): Success(200),
    ("/admin/statuses/new", "POST"): Success(
        303, {**STATUS_FORM, "key": "gamma", "label_en": "Gamma"},
        check=lambda r, ids: status_of("gamma") is not None),
    ("/admin/statuses/<string:key>/edit", "GET"): Success(200),
    ("/admin/statuses/<string:key>/edit", "POST"): Success(
        303, {**STATUS_FORM, "label_en": "Public beta"},
        check=lambda r, ids: status_of(ids["key"]).labels["en"] == "Public beta"),
    ("/admin/statuses/<string:key>/move", "POST"): Success(
        303, {"offset": "-1"}, check=lambda r, ids: keys()[-2] == ids["key"]),
    ("/admin/statuses/<string:key>/archive", "POST"): Success(
        303, {"archived": "1"}, check=lambda r, ids: status_of(ids["key"]).archived),
    ("/admin/statuses/<string:key>/delete", "POST"): Success(
        303, check=lambda r, ids: status_of(ids["key"]) is None),
    ("/admin/tags", "GET"): Success(200),
    ("/admin/tags", "POST"): Success(303, {"name": "mobile", "colour": "green"},
                                     check=lambda r, ids: _exists(Tag, Tag.name == "mobile")),
    ("/admin/tags/<id:tag_id>", "POST"): Success(
        303, {"tag-{tag_id}-name": "renamed", "tag-{tag_id}-colour": "green"},
        check=lambda r, ids: db.session.get(Tag, ids["tag_id"]).name == "renamed"),
    ("/admin/webhooks", "GET"): Success(200),
    ("/admin/webhooks/<id:endpoint_id>", "GET"): Success(200),
    ("/admin/webhooks/<id:endpoint_id>/active", "POST"): Success(
        303, {"active": "0"}, check=lambda r, ids: _endpoint(ids).active is False),
    ("/admin/webhooks/<id:endpoint_id>/delete", "POST"): Success(
        303, check=lambda r, ids: _endpoint(ids) is None),
    ("/admin/webhooks/<id:endpoint_id>/edit", "GET"): Success(200),
    ("/admin/webhooks/<id:endpoint_id>/edit", "POST"): Success(
        303, {**ENDPOINT, "active": "y"}, check=lambda r, ids: _endpoint(ids).url == ENDPOINT["url"]),
    ("/admin/webhooks/<id:endpoint_id>/test", "POST"): Success(
        303, check=lambda r, ids: _exists(WebhookDelivery, WebhookDelivery.event == "ping",
                                          WebhookDelivery.state == "delivered")),
    ("/admin/webhooks/new", "GET"): Success(200),
    ("/admin/webhooks/new", "POST"): Success(
        303, ENDPOINT, check=lambda r, ids: _exists(WebhookEndpoint, WebhookEndpoint.url == ENDPOINT["url"])),
    ("/announcements/new", "GET"): Success(200),
    ("/announcements/new", "POST"): Success(
        303, {"target": "idea", "idea": "{idea_id}", "message": "We are on it."},
        check=lambda r, ids: _exists(Announcement, Announcement.idea_id == ids["idea_id"])),
    ("/changelog/<id:entry_id>/edit", "GET"): Success(200),
    ("/changelog/<id:entry_id>/edit", "POST"): Success(
        303, {**ENTRY, "title": "Renamed entry", "action": "save"},
        check=lambda r, ids: db.session.get(ChangelogEntry, ids["entry_id"]).title == "Renamed entry"),
    ("/changelog/new", "GET"): Success(200),
    ("/changelog/new", "POST"): Success(
        303, ENTRY, check=lambda r, ids: _exists(ChangelogEntry, ChangelogEntry.title == ENTRY["title"])),
    ("/ideas/<id:idea_id>/hide", "POST"): Success(
        303, check=lambda r, ids: _idea(ids).hidden_at is not None),
    ("/ideas/<id:idea_id>/merge", "POST"): Success(
        303, {"into": "{other_idea_id}"},
        check=lambda r, ids: _idea(ids).merged_into_id == ids["other_idea_id"]),
    ("/ideas/<id:idea_id>/priority", "POST"): Success(
        303, {"impact": "4", "effort": "2"},
        check=lambda r, ids: db.session.get(IdeaPriority, ids["idea_id"]).impact == 4),
    ("/ideas/<id:idea_id>/status", "POST"): Success(
        303, {"status": "planned", "note": "Next quarter."},
        check=lambda r, ids: _idea(ids).status == "planned"),
    ("/ideas/<id:idea_id>/unhide", "POST"): Success(
        303, arrange=_hidden_idea, check=_audited("idea.unhidden")),
    ("/ideas/<id:idea_id>/unmerge", "POST"): Success(
        303, arrange=_merged_idea, check=lambda r, ids: _idea(ids).merged_into_id is None),
    ("/ideas/<id:idea_id>/vote-for", "POST"): Success(
        303, {"email": "customer@example.com"},
        check=lambda r, ids: _exists(Vote, Vote.idea_id == ids["idea_id"], Vote.user_id == User.id,
                                     User.email == "customer@example.com")),
    ("/ideas/comments/<id:comment_id>/hide", "POST"): Success(
        303, check=lambda r, ids: _comment(ids).hidden_at is not None),
    ("/ideas/comments/<id:comment_id>/unhide", "POST"): Success(
        303, arrange=_hidden_comment, check=_audited("comment.unhidden")),
    ("/staff/", "GET"): Success(200),
    ("/staff/bulk/status", "POST"): Success(
        303, {"idea_ids": "{idea_id}", "status": "planned", "note": ""},
        check=lambda r, ids: _idea(ids).status == "planned"),
    ("/staff/bulk/tag", "POST"): Success(
        303, {"idea_ids": "{idea_id}", "tag": "sample"},
        check=lambda r, ids: [tag.id for tag in _idea(ids).tags] == [ids["tag_id"]]),
    ("/staff/companies/", "GET"): Success(200),
    ("/staff/companies/new", "GET"): Success(200),
    ("/staff/companies/new", "POST"): Success(
        303, {"external_id": "beta-1", "name": "Beta"},
        check=lambda r, ids: _exists(Company, Company.name == "Beta")),
    ("/staff/companies/<id:company_id>", "GET"): Success(200),
    ("/staff/companies/<id:company_id>/edit", "GET"): Success(200),
    ("/staff/companies/<id:company_id>/edit", "POST"): Success(
        303, {"name": "Acme Inc"},
        check=lambda r, ids: db.session.get(Company, ids["company_id"]).name == "Acme Inc"),
    ("/staff/companies/<id:company_id>/members", "POST"): Success(
        303, {"email": "{member_email}"},
        check=lambda r, ids: _exists(CompanyMember, CompanyMember.user_id == ids["member_id"])),
    ("/staff/companies/<id:company_id>/members/<id:member_id>/remove", "POST"): Success(
        303, arrange=_in_company,
        check=lambda r, ids: db.session.get(CompanyMember, ids["member_id"]) is None),
    ("/staff/csv/", "GET"): Success(200),
    ("/staff/csv/ideas.csv", "GET"): Success(200, check=_is_csv),
    ("/staff/csv/import", "POST"): Success(200, {"file": CSV_FILE},
                                           check=lambda r, ids: b'name="token"' in r.data),
    ("/staff/csv/import/confirm", "POST"): Success(
        303, {"token": "{token}"}, arrange=_dry_run_seen,
        check=lambda r, ids: _exists(Idea, Idea.title == "Imported idea")),
    ("/staff/csv/votes.csv", "GET"): Success(200, check=_is_csv),
    ("/staff/ideas/<id:idea_id>/approve", "POST"): Success(
        303, arrange=_held_idea, check=_audited("idea.approved")),
    ("/staff/invitations", "GET"): Success(200),
    ("/staff/invitations", "POST"): Success(
        303, {"email": "new@example.com"},
        check=lambda r, ids: _exists(Invitation, Invitation.email == "new@example.com")),
    ("/staff/invitations/<id:invitation_id>/revoke", "POST"): Success(
        303, check=lambda r, ids: _invitation(ids).state == "revoked"),
    ("/staff/members", "GET"): Success(200),
    ("/staff/members/<id:member_id>", "GET"): Success(200),
    ("/staff/members/<id:member_id>/suspend", "POST"): Success(
        303, check=lambda r, ids: _member(ids).suspended_at is not None),
    ("/staff/members/<id:member_id>/unsuspend", "POST"): Success(
        303, arrange=_suspended_member, check=_audited("member.unsuspended")),
}


def _form(data, ids):
    """The form fields with ids filled in, and bytes sent as an uploaded CSV file."""
    def value(item):
        if isinstance(item, bytes):
            return (io.BytesIO(item), "ideas.csv")
        if isinstance(item, list):
            return [value(part) for part in item]
        return item.format(**ids)
    return {key.format(**ids): value(item) for key, item in data.items()}


@pytest.mark.parametrize("actor", ["anonymous", "member", "author", "staff", "admin"])
@pytest.mark.parametrize("path, method, role", TEAM_ROUTES,
                         ids=[f"{m} {p}" for p, m, _ in TEAM_ROUTES])
def test_every_team_route_checks_the_role_on_the_server(app, client, auth, team_world, path, method,
                                                        role, actor):
    people, ids = team_world
    success = SUCCESS[path, method]
    if success.arrange is not None:
        with app.app_context():
            signed_in = db.session.get(User, people[actor].id) if actor in people else None
            success.arrange(ids, db.session.get(User, ids["staff_id"]), signed_in)
            db.session.commit()
    if actor != "anonymous":
        auth.login(people[actor])
    # A board's moderators are members of their own test (tests/test_board_moderators.py): here
    # the moderators' routes are the team's.
    allowed = actor == "admin" or (actor == "staff" and role in ("staff", "moderator"))

    response = client.open(_fill(path, ids), method=method, data=_form(success.data, ids))

    if actor == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
    elif not allowed:
        assert response.status_code == 403
    else:
        assert response.status_code == success.status, response.get_data(as_text=True)[:2000]
        if success.check is not None:
            with app.app_context():
                assert success.check(response, ids)


def test_every_team_route_has_a_success_case():
    assert {(path, method) for path, method, _ in TEAM_ROUTES} == set(SUCCESS)


def test_the_team_route_list_covers_every_area():
    paths = {path for path, _, _ in TEAM_ROUTES}

    assert any(p.startswith("/staff") for p in paths)
    assert any(p.startswith("/admin") for p in paths)
    assert any(p.startswith("/ideas/<id:idea_id>/") for p in paths)
    assert any(p.startswith(("/changelog", "/announcements")) for p in paths)
