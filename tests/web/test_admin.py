"""The admin and staff pages: roles, suspension, one customer's history, tags, settings, audit log."""
import json
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from helpers import BOOSTED, PASSWORD, htmx_headers
from ideas import audit, create_app
from ideas.comments import add_comment
from ideas.extensions import db
from ideas.models import AuditEntry, Idea, Tag, User
from ideas.moderation import hide_comment
from ideas.statuses import change_status
from ideas.site_settings import get_setting, set_setting
from ideas.tags import TAG_COLOURS
from ideas.team import vote_for_customer
from ideas.voting import cast_vote

LOGIN = "login"  # signed-out visitors are sent to sign in
OK = "ok"  # 200 for a page, 303 for a change

# method, route, form data, who may use it ("staff" or "admin")
ROUTES = [
    ("GET", "/staff/members", {}, "staff"),
    ("GET", "/staff/members?q=member", {}, "staff"),
    ("GET", "/staff/members/{target}", {}, "staff"),
    ("POST", "/staff/members/{target}/suspend", {}, "staff"),
    ("POST", "/staff/members/{suspended}/unsuspend", {}, "staff"),
    ("POST", "/admin/members/{target}/role", {"role": "staff"}, "admin"),
    ("GET", "/admin/tags", {}, "admin"),
    ("POST", "/admin/tags", {"name": "billing", "colour": "red"}, "admin"),
    ("POST", "/admin/tags/{tag}", {"tag-{tag}-name": "phones", "tag-{tag}-colour": "teal"}, "admin"),
    ("GET", "/admin/audit", {}, "admin"),
    ("GET", "/admin/settings", {}, "admin"),
    ("POST", "/admin/settings", {"approve_first_idea": "y"}, "admin"),
]
ACTORS = ["anonymous", "member", "staff", "admin"]


def expected_outcome(actor, allowed):
    """What `actor` gets from a route for `allowed` ("staff" or "admin")."""
    if actor == "anonymous":
        return LOGIN
    if actor == "admin" or (actor == "staff" and allowed == "staff"):
        return OK
    return 403


# Reading the database.

def stored(fetch, model, id_):
    """The row as it is stored now, detached."""
    def load():
        row = db.session.get(model, id_)
        db.session.expunge(row)
        return row

    return fetch(load)


def audit_trail(fetch, action=None):
    """The audit log as (action, target_type, target_id, before, after), oldest first."""
    def load():
        statement = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            statement = statement.where(AuditEntry.action == action)
        return [(e.action, e.target_type, e.target_id, json.loads(e.before), json.loads(e.after))
                for e in db.session.execute(statement).scalars()]

    return fetch(load)


def count_tags(fetch):
    """How many tags exist."""
    return fetch(lambda: db.session.execute(select(func.count()).select_from(Tag)).scalar_one())


def is_signed_in(client):
    """True when `client` may open its account settings (signed-out visitors are sent away)."""
    status = client.get("/account/settings").status_code
    assert status in (200, 302)
    return status == 200


class FormReader(HTMLParser):
    """Each POST form of a page: its action and the names of its inputs and buttons."""

    def __init__(self, html):
        super().__init__()
        self.forms = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self.forms.append({"action": attrs.get("action"), "fields": {}})
        elif tag in ("input", "button", "select") and self.forms and "name" in attrs:
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value")


@pytest.fixture
def people(make_user):
    """One person of each role, and a customer the team acts on."""
    return {role: make_user(role=role) for role in ("member", "staff", "admin")} | {
        "customer": make_user(name="Cora Customer", email="cora@example.com")}


@pytest.fixture
def signed_in(auth, people):
    """signed_in("admin") signs the client in as that person and returns them."""
    def sign_in(role):
        auth.login(people[role])
        return people[role]

    return sign_in


def as_user(person):
    """The stored account of `person`, in the current app context."""
    return db.session.get(User, person.id)


# Who may use each page and action.

@pytest.fixture
def matrix_world(app, make_user, make_tag):
    """A member to act on, a suspended member, and a tag."""
    target = make_user()
    suspended = make_user()
    with app.app_context():
        db.session.get(User, suspended.id).suspended_at = func.now()
        db.session.commit()
    return {"target": target.id, "suspended": suspended.id, "tag": make_tag("mobile").id}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("method, route, data, allowed", ROUTES,
                         ids=[f"{row[0]} {row[1]}" for row in ROUTES])
def test_access_matrix(client, auth, people, matrix_world, method, route, data, allowed, actor):
    if actor != "anonymous":
        auth.login(people[actor])
    data = {key.format(**matrix_world): value for key, value in data.items()}

    response = client.open(route.format(**matrix_world), method=method, data=data)

    expected = expected_outcome(actor, allowed)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
    elif expected == OK:
        assert response.status_code == (200 if method == "GET" else 303), \
            response.get_data(as_text=True)[:500]
    else:
        assert response.status_code == expected


def test_refused_admin_actions_change_nothing(client, signed_in, people, matrix_world, fetch):
    signed_in("staff")

    client.post(f"/admin/members/{matrix_world['target']}/role", data={"role": "staff"})
    client.post("/admin/tags", data={"name": "sneaky", "colour": "red"})
    client.post("/admin/settings", data={"approve_first_idea": "y"})

    assert stored(fetch, User, matrix_world["target"]).role == "member"
    assert fetch(lambda: db.session.execute(select(Tag.name)).scalars().all()) == ["mobile"]
    assert fetch(lambda: get_setting("approve_first_idea")) == "0"
    assert audit_trail(fetch) == []


# Roles.

def test_admin_makes_a_member_staff_and_the_audit_log_keeps_it(client, signed_in, people, fetch):
    admin, customer = signed_in("admin"), people["customer"]

    response = client.post(f"/admin/members/{customer.id}/role", data={"role": "staff"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/members"
    assert stored(fetch, User, customer.id).role == "staff"
    assert audit_trail(fetch) == [
        ("member.role_changed", "users", customer.id, {"role": "member"}, {"role": "staff"})]
    assert "Cora Customer is now staff." in client.get("/staff/members").get_data(as_text=True)
    assert fetch(lambda: db.session.execute(select(AuditEntry.actor_id)).scalar_one()) == admin.id


def test_admin_revokes_the_staff_role(client, signed_in, people, fetch):
    signed_in("admin")

    response = client.post(f"/admin/members/{people['staff'].id}/role", data={"role": "member"})

    assert response.status_code == 303
    assert stored(fetch, User, people["staff"].id).role == "member"
    assert audit_trail(fetch, "member.role_changed")[0][3:] == ({"role": "staff"}, {"role": "member"})


def test_the_role_form_returns_to_the_page_it_was_sent_from(client, signed_in, people):
    signed_in("admin")

    response = client.post(f"/admin/members/{people['customer'].id}/role",
                           data={"role": "staff", "next": "/staff/members?q=cora"})

    assert response.headers["Location"] == "/staff/members?q=cora"


def test_staff_may_not_grant_the_staff_role(client, signed_in, people, fetch):
    signed_in("staff")

    response = client.post(f"/admin/members/{people['customer'].id}/role", data={"role": "staff"})

    assert response.status_code == 403
    assert stored(fetch, User, people["customer"].id).role == "member"
    assert audit_trail(fetch) == []


def test_admins_cannot_be_demoted_through_the_page(client, signed_in, make_user, fetch):
    other_admin = make_user(role="admin")
    signed_in("admin")

    response = client.post(f"/admin/members/{other_admin.id}/role", data={"role": "member"})

    assert response.status_code == 403
    assert "Admins keep their role" in response.get_data(as_text=True)
    assert stored(fetch, User, other_admin.id).role == "admin"
    assert audit_trail(fetch) == []


@pytest.mark.parametrize("role", ["admin", "", "superuser"])
def test_only_the_staff_and_member_roles_can_be_given(client, signed_in, people, fetch, role):
    signed_in("admin")

    response = client.post(f"/admin/members/{people['customer'].id}/role", data={"role": role})

    assert response.status_code == 422
    assert stored(fetch, User, people["customer"].id).role == "member"


def test_role_buttons_are_shown_to_admins_and_not_to_staff(client, auth, people):
    role_action = f"/admin/members/{people['customer'].id}/role"

    auth.login(people["admin"])
    admin_forms = FormReader(client.get("/staff/members").get_data(as_text=True)).forms
    auth.logout()
    auth.login(people["staff"])
    staff_forms = FormReader(client.get("/staff/members").get_data(as_text=True)).forms

    assert [form["fields"]["role"] for form in admin_forms if form["action"] == role_action] == ["staff"]
    assert f"/admin/members/{people['staff'].id}/role" in {form["action"] for form in admin_forms}
    assert f"/admin/members/{people['admin'].id}/role" not in {form["action"] for form in admin_forms}
    assert role_action not in {form["action"] for form in staff_forms}
    assert f"/staff/members/{people['customer'].id}/suspend" in {form["action"] for form in staff_forms}


# Suspension.

def test_staff_suspend_a_member_who_then_cannot_sign_in(app, client, signed_in, people, fetch):
    signed_in("staff")
    customer = people["customer"]

    response = client.post(f"/staff/members/{customer.id}/suspend")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/members/{customer.id}"
    assert stored(fetch, User, customer.id).suspended_at is not None
    assert audit_trail(fetch) == [
        ("member.suspended", "users", customer.id, {"suspended": False}, {"suspended": True})]

    browser = app.test_client()
    login = browser.post("/auth/login", data={"email": customer.email, "password": PASSWORD})
    assert login.status_code == 422
    assert "This account is suspended" in login.get_data(as_text=True)
    assert not is_signed_in(browser)


def test_a_suspended_members_open_session_stops_working(app, client, signed_in, people):
    customer = people["customer"]
    customer_browser = app.test_client()
    customer_browser.post("/auth/login", data={"email": customer.email, "password": PASSWORD,
                                               "remember": "y"})
    assert is_signed_in(customer_browser)
    signed_in("staff")

    client.post(f"/staff/members/{customer.id}/suspend")

    assert not is_signed_in(customer_browser)  # neither the session nor the remember cookie
    assert customer_browser.post("/ideas/new", data={"title": "Still here?", "kind": "idea"}
                                 ).status_code == 302


def test_unsuspending_lets_the_member_sign_in_again(app, client, signed_in, people, fetch):
    signed_in("staff")
    customer = people["customer"]
    client.post(f"/staff/members/{customer.id}/suspend")

    response = client.post(f"/staff/members/{customer.id}/unsuspend")

    assert response.status_code == 303
    assert stored(fetch, User, customer.id).suspended_at is None
    assert [row[0] for row in audit_trail(fetch)] == ["member.suspended", "member.unsuspended"]
    browser = app.test_client()
    assert browser.post("/auth/login", data={"email": customer.email, "password": PASSWORD}
                        ).status_code == 303
    assert is_signed_in(browser)


def test_staff_accounts_cannot_be_suspended(client, signed_in, people, fetch):
    signed_in("staff")

    response = client.post(f"/staff/members/{people['admin'].id}/suspend")

    assert response.status_code == 403
    assert stored(fetch, User, people["admin"].id).suspended_at is None


def test_suspending_from_htmx_redirects_by_header(client, signed_in, people):
    signed_in("staff")

    response = client.post(f"/staff/members/{people['customer'].id}/suspend",
                           headers=htmx_headers("main"))

    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/staff/members/{people['customer'].id}"


def test_acting_on_a_missing_member_is_404(client, signed_in):
    signed_in("admin")

    assert client.post("/staff/members/999999/suspend").status_code == 404
    assert client.post("/admin/members/999999/role", data={"role": "staff"}).status_code == 404
    assert client.get("/staff/members/999999").status_code == 404


# The members list.

def member_row(body, email):
    """The members table row that shows `email`."""
    [row] = [row for row in body.split("<tr>") if email in row]
    return row.split("</tr>")[0]


def test_the_members_list_shows_role_and_suspension_and_links_each_member(
        client, signed_in, people, fetch):
    signed_in("staff")
    client.post(f"/staff/members/{people['customer'].id}/suspend")

    body = client.get("/staff/members").get_data(as_text=True)

    customer_row = member_row(body, "cora@example.com")
    assert "Suspended" in customer_row
    assert f'href="/staff/members/{people["customer"].id}"' in customer_row
    assert "Unsuspend" in customer_row
    assert "admin" in member_row(body, people["admin"].email)
    assert "Suspended</strong>" not in member_row(body, people["member"].email)


@pytest.mark.parametrize("query", ["cora", "CORA", "Customer", "cora@example", "ORA@EXAMPLE"])
def test_the_members_list_searches_names_and_emails(client, signed_in, people, query):
    signed_in("staff")

    body = client.get("/staff/members", query_string={"q": query}).get_data(as_text=True)

    assert "cora@example.com" in body
    assert people["member"].email not in body


@pytest.mark.parametrize("query", ["%", "_", "nobody here", "nobody\x00here"])
def test_a_search_that_matches_nobody_says_so(client, signed_in, query):
    signed_in("staff")

    response = client.get("/staff/members", query_string={"q": query})

    assert response.status_code == 200
    assert "@example.com" not in response.get_data(as_text=True).split("</form>", 1)[1]


def test_the_members_list_pages_past_fifty(client, signed_in, make_user):
    for _ in range(51):
        make_user()
    signed_in("staff")

    first = client.get("/staff/members").get_data(as_text=True)
    second = client.get("/staff/members?page=2").get_data(as_text=True)
    absurd = client.get("/staff/members?page=99999999999999999999999")

    assert first.count("<tr>") == 1 + 50
    assert 'href="/staff/members?page=2"' in first
    assert second.count("<tr>") == 1 + (51 + 4 - 50)
    assert absurd.status_code == 200


# The single view of a customer.

@pytest.fixture
def customer_history(app, people, make_idea):
    """Cora proposed two ideas, backed two others (one recorded by staff) and commented twice."""
    customer = people["customer"]
    own_planned = make_idea(title="Export to spreadsheet", author=customer)
    make_idea(title="Offline mode", author=customer)
    backed = make_idea(title="Bigger buttons")
    by_phone = make_idea(title="Invoice in PDF")
    elsewhere = make_idea(title="Someone else's idea", author=people["member"])
    with app.app_context():
        staff, cora = as_user(people["staff"]), as_user(customer)
        change_status(staff, db.session.get(Idea, own_planned.id), "planned", "On the way.")
        cast_vote(cora, db.session.get(Idea, backed.id))
        change_status(staff, db.session.get(Idea, backed.id), "shipped")
        vote_for_customer(staff, db.session.get(Idea, by_phone.id), customer.email)
        add_comment(cora, db.session.get(Idea, backed.id), "Thanks, **works** for me")
        rude = add_comment(cora, db.session.get(Idea, by_phone.id), "A rude remark")
        hide_comment(staff, rude)
        add_comment(as_user(people["member"]), db.session.get(Idea, elsewhere.id), "Not Cora")
        db.session.commit()
    return customer


def section(body, heading):
    """The part of the page under the <h2> `heading`, up to the next section."""
    start = body.index(f">{heading}</h2>")
    return body[start:body.index("</section>", start)]


def test_the_single_view_lists_a_customers_ideas_with_their_status_now(
        client, signed_in, customer_history):
    signed_in("staff")

    body = client.get(f"/staff/members/{customer_history.id}").get_data(as_text=True)

    ideas = section(body, "Ideas")
    assert "Export to spreadsheet" in ideas and "Offline mode" in ideas
    assert 'status status-planned">Planned' in ideas
    assert 'status status-open">New' in ideas
    assert "Someone else" not in body


def test_the_single_view_lists_votes_and_says_which_staff_recorded(
        client, signed_in, customer_history):
    signed_in("staff")

    body = client.get(f"/staff/members/{customer_history.id}").get_data(as_text=True)

    votes = section(body, "Votes")
    [bigger] = [row for row in votes.split("<tr>") if "Bigger buttons" in row]
    [pdf] = [row for row in votes.split("<tr>") if "Invoice in PDF" in row]
    assert "Shipped" in bigger and "Recorded by staff" not in bigger
    assert "New" in pdf and "Recorded by staff" in pdf


def test_the_single_view_lists_comments_hidden_ones_marked(client, signed_in, customer_history):
    signed_in("staff")

    body = client.get(f"/staff/members/{customer_history.id}").get_data(as_text=True)

    comments = section(body, "Comments")
    assert "Thanks, works for me" in comments  # an excerpt in plain text
    assert "A rude remark" in comments and "Hidden" in comments
    assert "Not Cora" not in comments
    assert "<time" in comments


def test_the_single_view_shows_suspension_and_the_button_to_lift_it(
        client, signed_in, people):
    signed_in("staff")
    client.post(f"/staff/members/{people['customer'].id}/suspend")

    body = client.get(f"/staff/members/{people['customer'].id}").get_data(as_text=True)

    assert "Suspended" in body
    actions = {form["action"] for form in FormReader(body).forms}
    assert f"/staff/members/{people['customer'].id}/unsuspend" in actions


def test_the_single_view_of_someone_with_no_history_says_so(client, signed_in, people):
    signed_in("staff")

    body = client.get(f"/staff/members/{people['customer'].id}").get_data(as_text=True)

    assert "No ideas." in body and "No votes." in body and "No comments." in body


def test_the_single_view_runs_a_fixed_number_of_queries(
        client, signed_in, customer_history, make_idea, app, count_queries):
    signed_in("staff")
    url = f"/staff/members/{customer_history.id}"
    with count_queries() as few:
        client.get(url)
    for number in range(5):
        idea = make_idea(title=f"More {number}", author=customer_history)
        with app.app_context():
            add_comment(as_user(customer_history), db.session.get(Idea, idea.id), "More")
            db.session.commit()

    with count_queries() as many:
        client.get(url)

    assert len(many) == len(few)


# Tags.

def test_admin_creates_a_tag_with_a_colour(client, signed_in, fetch):
    signed_in("admin")

    response = client.post("/admin/tags", data={"name": "Delivery", "colour": "purple"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/tags"
    tag = fetch(lambda: db.session.execute(select(Tag)).scalar_one())
    assert (tag.name, tag.colour) == ("delivery", "purple")
    assert audit_trail(fetch) == [
        ("tag.created", "tags", tag.id, {}, {"name": "delivery", "colour": "purple"})]
    assert 'class="tag tag-purple">#delivery' in client.get("/admin/tags").get_data(as_text=True)


def test_admin_renames_and_recolours_a_tag(client, signed_in, make_tag, fetch):
    tag = make_tag("mobil", colour="blue")
    signed_in("admin")

    response = client.post(f"/admin/tags/{tag.id}",
                           data={f"tag-{tag.id}-name": "mobile", f"tag-{tag.id}-colour": "green"})

    assert response.status_code == 303
    stored_tag = stored(fetch, Tag, tag.id)
    assert (stored_tag.name, stored_tag.colour) == ("mobile", "green")
    assert audit_trail(fetch) == [("tag.updated", "tags", tag.id, {"name": "mobil", "colour": "blue"},
                                   {"name": "mobile", "colour": "green"})]


def test_the_tags_page_offers_every_colour_by_name(client, signed_in, make_tag):
    tag = make_tag("mobile", colour="teal")
    signed_in("admin")

    body = client.get("/admin/tags").get_data(as_text=True)

    for colour in TAG_COLOURS:
        assert f'<option value="{colour}"' in body
        assert f">{colour.capitalize()}</option>" in body
    assert '<option selected value="teal">Teal</option>' in body.split(f'id="tag-{tag.id}"')[1]


BAD_TAGS = {
    "empty name": ({"name": "   ", "colour": "red"}, "Use 1 to 40 characters."),
    "long name": ({"name": "x" * 41, "colour": "red"}, "Use 1 to 40 characters."),
    "duplicate name": ({"name": "  Mobile ", "colour": "red"}, "There is already a tag called “mobile”."),
    "unknown colour": ({"name": "billing", "colour": "chartreuse"}, "Choose a colour from the list."),
}


@pytest.mark.parametrize("case", BAD_TAGS)
def test_a_bad_new_tag_is_refused_with_the_form_kept(client, signed_in, make_tag, fetch, case):
    make_tag("mobile")
    data, problem = BAD_TAGS[case]
    signed_in("admin")

    response = client.post("/admin/tags", data=data)

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problem in body
    assert f'value="{data["name"]}"' in body.replace("&#34;", '"')
    assert count_tags(fetch) == 1
    assert audit_trail(fetch) == []


@pytest.mark.parametrize("case", ["empty name", "duplicate name", "unknown colour"])
def test_a_bad_tag_change_is_refused_with_the_form_kept(client, signed_in, make_tag, fetch, case):
    make_tag("mobile")
    tag = make_tag("billing", colour="orange")
    data, problem = BAD_TAGS[case]
    signed_in("admin")

    response = client.post(f"/admin/tags/{tag.id}",
                           data={f"tag-{tag.id}-{key}": value for key, value in data.items()})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    tag_form = body.split(f'id="tag-{tag.id}"')[1]
    assert problem in tag_form
    assert f'value="{data["name"]}"' in tag_form
    assert 'aria-invalid="true"' in tag_form
    stored_tag = stored(fetch, Tag, tag.id)
    assert (stored_tag.name, stored_tag.colour) == ("billing", "orange")


def test_a_tag_typed_with_markup_is_shown_as_text(client, signed_in, fetch):
    signed_in("admin")

    client.post("/admin/tags", data={"name": "<b>bold</b>", "colour": "red"})

    body = client.get("/admin/tags").get_data(as_text=True)
    assert "<b>bold</b>" not in body
    assert "#&lt;b&gt;bold&lt;/b&gt;" in body


def test_changing_a_missing_tag_is_404(client, signed_in):
    signed_in("admin")

    assert client.post("/admin/tags/999999", data={}).status_code == 404


# Site settings.

def test_admin_holds_new_members_first_ideas_and_the_audit_log_keeps_it(
        client, signed_in, fetch):
    signed_in("admin")

    response = client.post("/admin/settings", data={"approve_first_idea": "y"})

    assert response.status_code == 303
    assert fetch(lambda: get_setting("approve_first_idea")) == "1"
    assert fetch(lambda: get_setting("require_confirmation")) == "0"
    assert audit_trail(fetch) == [("settings.changed", "site", None,
                                   {"approve_first_idea": False}, {"approve_first_idea": True})]
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'checked id="approve_first_idea"' in page or 'id="approve_first_idea" checked' in page


def test_saving_settings_without_a_change_writes_no_audit_entry(client, signed_in, fetch):
    signed_in("admin")

    client.post("/admin/settings", data={})

    assert audit_trail(fetch) == []


def test_turning_both_settings_off_records_both(app, client, signed_in, fetch):
    with app.app_context():
        set_setting("approve_first_idea", "1")
        set_setting("require_confirmation", "1")
        db.session.commit()
    signed_in("admin")

    client.post("/admin/settings", data={})

    assert audit_trail(fetch) == [(
        "settings.changed", "site", None,
        {"approve_first_idea": True, "require_confirmation": True},
        {"approve_first_idea": False, "require_confirmation": False})]


def test_with_the_setting_on_a_new_members_first_idea_waits(app, client, auth, people, fetch):
    auth.login(people["admin"])
    client.post("/admin/settings", data={"approve_first_idea": "y"})
    auth.logout()
    auth.login(people["customer"])

    client.post("/ideas/new", data={"title": "Let me pay by invoice", "kind": "idea"})

    idea = fetch(lambda: db.session.execute(select(Idea)).scalar_one())
    assert idea.awaiting_approval


# The audit log.

def test_the_audit_log_lists_entries_newest_first_with_before_and_after(
        client, signed_in, people, make_idea, app):
    idea = make_idea(title="Dark mode")
    signed_in("admin")
    client.post("/admin/tags", data={"name": "mobile", "colour": "blue"})
    client.post(f"/staff/members/{people['customer'].id}/suspend")
    with app.app_context():
        change_status(as_user(people["admin"]), db.session.get(Idea, idea.id), "planned", "Soon")
        db.session.commit()

    body = client.get("/admin/audit").get_data(as_text=True)

    rows = body.split("<tbody>")[1].split("<tr>")[1:]
    assert [row.split("<code>")[1].split("</code>")[0] for row in rows] == [
        "idea.status_changed", "member.suspended", "tag.created"]
    assert f'<a href="/ideas/{idea.id}">ideas #{idea.id}</a>' in rows[0]
    assert f'<a href="/staff/members/{people["customer"].id}">users #{people["customer"].id}</a>' in rows[1]
    assert "<code>{&#34;suspended&#34;: false}</code>" in rows[1]
    assert "<code>{&#34;suspended&#34;: true}</code>" in rows[1]
    assert "<code>—</code>" in rows[2]  # a new tag had no before
    assert people["admin"].name in rows[0]


def test_the_audit_log_shows_fifty_entries_a_page(app, client, signed_in, people):
    with app.app_context():
        admin = as_user(people["admin"])
        for number in range(51):
            audit.record(admin, "test.entry", None, {}, {"n": number})
        db.session.commit()
    signed_in("admin")

    first = client.get("/admin/audit").get_data(as_text=True)
    second = client.get("/admin/audit?page=2").get_data(as_text=True)

    assert first.count("test.entry") == 50
    assert "{&#34;n&#34;: 50}" in first and "{&#34;n&#34;: 0}" not in first
    assert 'href="/admin/audit?page=2"' in first
    assert second.count("test.entry") == 1 and "{&#34;n&#34;: 0}" in second
    assert client.get("/admin/audit?page=99999999999999999999").status_code == 200


def test_an_empty_audit_log_says_so(client, signed_in):
    signed_in("admin")

    assert "Nothing recorded yet." in client.get("/admin/audit").get_data(as_text=True)


# Pages as a whole: navigation, tokens, no inline code.

ADMIN_PAGES = ["/admin/settings", "/admin/tags", "/admin/audit"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_carry_the_admin_navigation(client, signed_in, url):
    signed_in("admin")

    body = client.get(url).get_data(as_text=True)

    nav = body.split('<nav class="subnav" aria-label="Admin">')[1].split("</nav>")[0]
    for link in ADMIN_PAGES:
        assert f'href="{link}"' in nav
    assert f'<a href="{url}" aria-current="page">' in nav


def test_staff_see_no_admin_navigation_on_the_members_page(client, signed_in):
    signed_in("staff")

    assert 'aria-label="Admin"' not in client.get("/staff/members").get_data(as_text=True)


def test_a_boosted_request_gets_the_whole_page(client, signed_in):
    signed_in("admin")

    assert "<html" in client.get("/admin/tags", headers=BOOSTED).get_data(as_text=True)


@pytest.fixture
def csrf_client(database_url, make_user, make_tag, make_idea):
    """An admin signed in through the real form with CSRF protection on, as in production."""
    csrf_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url,
                                      "WTF_CSRF_ENABLED": True})
    client = csrf_app.test_client()
    client.admin = make_user(role="admin")
    client.customer = make_user()
    make_tag("mobile")
    make_idea(author=client.customer)
    login_page = FormReader(client.get("/auth/login").get_data(as_text=True))
    token = login_page.forms[0]["fields"]["csrf_token"]
    response = client.post("/auth/login", data={"email": client.admin.email, "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 303
    yield client
    with csrf_app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("page", ["/staff/members", "/staff/members/{customer}", "/admin/tags",
                                  "/admin/settings", "/admin/audit"])
def test_every_form_carries_a_token_and_no_inline_code(csrf_client, page):
    body = csrf_client.get(page.format(customer=csrf_client.customer.id)).get_data(as_text=True)

    forms = [form for form in FormReader(body).forms if form["action"] != "/auth/logout"]
    assert forms or page == "/admin/audit"
    for form in forms:
        assert form["fields"].get("csrf_token"), form["action"]
    assert " style=" not in body and "hx-on" not in body
    assert "<script>" not in body


def test_a_suspension_without_a_token_is_refused(csrf_client, fetch):
    response = csrf_client.post(f"/staff/members/{csrf_client.customer.id}/suspend")

    assert response.status_code == 400
    assert stored(fetch, User, csrf_client.customer.id).suspended_at is None


def test_a_suspension_with_the_pages_token_works(csrf_client, fetch):
    url = f"/staff/members/{csrf_client.customer.id}"
    forms = FormReader(csrf_client.get(url).get_data(as_text=True)).forms
    [suspend] = [form for form in forms if form["action"] == f"{url}/suspend"]

    response = csrf_client.post(suspend["action"], data=suspend["fields"])

    assert response.status_code == 303
    assert stored(fetch, User, csrf_client.customer.id).suspended_at is not None
