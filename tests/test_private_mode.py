"""Private sites: one gate with an explicit allow-list, personal feed tokens, who may sign up,
and the admins' access settings."""
import json
import re
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from helpers import PASSWORD, htmx_headers
from ideas import create_app
from ideas.access import feed_token, regenerate_feed_token
from ideas.extensions import db
from ideas.models import AuditEntry, User, Vote, utcnow
from ideas.site_settings import get_setting, set_setting
from ideas.unsubscribe import unsubscribe_token
from ideas.web.privacy import PUBLIC_ENDPOINTS

# What a signed-out visitor of a private site may still open. Changing the gate's list means
# changing this one too, on purpose.
EXPECTED_PUBLIC = {
    "static", "health.healthz", "health.readyz",
    "auth.login", "auth.logout", "auth.signup", "auth.forgot_password", "auth.reset_password",
    "auth.confirm", "access.request_code", "access.enter_code", "access.accept_invitation",
    "notifications.unsubscribe", "branding.logo", "branding.stylesheet",
    "text_length.count", "sso.start", "sso.callback", "product_sign_in.sign_in",
}
FEEDS = {"feeds.ideas", "feeds.roadmap", "feeds.changelog", "feeds.idea"}


def _get_routes():
    """(endpoint, sample URL) of every GET route of the app."""
    app = create_app("testing")
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            values = {}
            for name in rule.arguments:
                converter = rule._converters[name]
                values[name] = 1 if isinstance(converter, IntegerConverter) else "sample"
            if rule.endpoint == "static":
                values["filename"] = "css/ideas.css"
            routes.append((rule.endpoint, app.url_for(rule.endpoint, **values)))
    return sorted(routes)


GET_ROUTES = _get_routes()


def make_private(app, private=True):
    """Turn private mode on (or off)."""
    with app.app_context():
        set_setting("private_mode", "1" if private else "0")
        db.session.commit()


def set_rules(app, **values):
    """Store access settings directly."""
    with app.app_context():
        for key, value in values.items():
            set_setting(key, value)
        db.session.commit()


def sent_to_sign_in(response):
    """True when the gate (or a login_required view) sent the visitor to sign in."""
    return response.status_code in (302, 303) and response.headers["Location"].startswith("/auth/login")


# The gate.

def test_the_allow_list_is_exactly_the_expected_one():
    assert set(PUBLIC_ENDPOINTS) == EXPECTED_PUBLIC


def test_the_route_list_covers_pages_feeds_and_the_open_endpoints():
    endpoints = {endpoint for endpoint, _ in GET_ROUTES}

    assert {"board.index", "ideas.show", "roadmap.index", "changelog.index"} <= endpoints
    assert FEEDS <= endpoints
    assert EXPECTED_PUBLIC - {"auth.logout", "text_length.count", "sso.start"} <= endpoints  # POST only


@pytest.mark.sqlite_only
@pytest.mark.parametrize("endpoint, url", GET_ROUTES, ids=[endpoint for endpoint, _ in GET_ROUTES])
def test_every_get_route_is_open_or_refused_to_signed_out_visitors(app, client, endpoint, url):
    make_private(app)

    response = client.get(url)

    if endpoint in EXPECTED_PUBLIC:
        assert not sent_to_sign_in(response), url
        assert response.status_code != 401, url
    elif endpoint in FEEDS:
        assert response.status_code == 404, url
    elif url.startswith("/api/"):
        assert response.status_code == 401, url
        assert response.get_json()["error"]["code"] == "unauthorized"
    else:
        assert sent_to_sign_in(response), (url, response.status_code)


@pytest.mark.parametrize("url", ["/", "/roadmap", "/changelog", "/announcements", "/feeds/ideas.atom"])
def test_a_public_site_is_open_to_visitors(client, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/", "/roadmap", "/changelog", "/announcements", "/idea",
                                 "/feeds/ideas.atom"])
def test_signed_in_members_see_everything_on_a_private_site(app, client, auth, make_user, make_idea, url):
    idea = make_idea(title="Private idea")
    make_private(app)
    auth.login(make_user())

    response = client.get(f"/ideas/{idea.id}" if url == "/idea" else url)

    assert response.status_code == 200


def test_a_visitor_is_sent_to_sign_in_and_back_afterwards(app, client, make_user):
    member = make_user()
    make_private(app)

    response = client.get("/roadmap?sort=new")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query)["next"] == ["/roadmap?sort=new"]
    assert "This site is private: sign in to continue." in client.get("/auth/login").get_data(as_text=True)
    signed_in = client.post(response.headers["Location"], data={
        "email": member.email, "password": PASSWORD, "next": "/roadmap?sort=new"})
    assert signed_in.headers["Location"] == "/roadmap?sort=new"


def test_nothing_of_a_private_site_shows_on_the_way_to_sign_in(app, client, make_idea):
    make_idea(title="Secret roadmap item")
    make_private(app)

    page = client.get("/", follow_redirects=True).get_data(as_text=True)

    assert "Secret roadmap item" not in page
    assert 'action="/auth/login' in page


def test_htmx_requests_are_sent_to_sign_in_without_a_3xx(app, client):
    make_private(app)

    response = client.get("/", headers=htmx_headers("board-results"))

    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("/auth/login")


def test_a_signed_out_post_changes_nothing_on_a_private_site(app, client, make_idea, fetch):
    idea = make_idea()
    make_private(app)

    response = client.post(f"/ideas/{idea.id}/vote")

    assert sent_to_sign_in(response)
    assert fetch(lambda: db.session.execute(
        select(func.count()).select_from(Vote).where(Vote.idea_id == idea.id)).scalar_one()) == 0


def test_a_signed_out_post_on_a_private_site_returns_to_the_page_the_form_was_on(app, client, make_idea):
    idea = make_idea()
    make_private(app)

    response = client.post(f"/ideas/{idea.id}/vote", headers={"Referer": f"http://localhost/ideas/{idea.id}"})

    location = urlsplit(response.headers["Location"])
    assert (response.status_code, location.path) == (302, "/auth/login")
    assert parse_qs(location.query)["next"] == [f"/ideas/{idea.id}"]
    assert "This site is private: sign in to continue." in client.get("/auth/login").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/healthz", "/readyz", "/auth/login", "/auth/signup", "/auth/code",
                                 "/auth/forgot", "/static/css/ideas.css"])
def test_sign_in_sign_up_and_health_checks_stay_reachable(app, client, url):
    make_private(app)

    assert client.get(url).status_code == 200


def test_the_unsubscribe_page_works_signed_out_on_a_private_site(app, client, make_user, fetch):
    member = make_user()
    make_private(app)
    with app.app_context():
        token = unsubscribe_token(db.session.get(User, member.id))

    shown = client.get(f"/unsubscribe/{token}")
    done = client.post(f"/unsubscribe/{token}")

    assert (shown.status_code, done.status_code) == (200, 200)
    assert fetch(lambda: db.session.get(User, member.id).email_mode) == "never"


def test_the_password_reset_link_works_signed_out_on_a_private_site(app, client, make_user):
    from ideas.accounts import password_reset_token

    member = make_user()
    make_private(app)
    with app.app_context():
        token = password_reset_token(db.session.get(User, member.id))

    response = client.get(f"/auth/reset/{token}")

    assert response.status_code == 200
    assert "New password" in response.get_data(as_text=True)


# The JSON API on a private site: a key or a session, nothing for anonymous requests.

def test_the_api_of_a_private_site_answers_a_key(app, client, make_user):
    from ideas.api_keys import create_api_key

    member = make_user()
    make_private(app)
    with app.app_context():
        _, token = create_api_key(db.session.get(User, member.id), "reader")
        db.session.commit()

    response = client.get("/api/v1/ideas", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-key"}], ids=["none", "bad"])
def test_the_api_of_a_private_site_refuses_requests_without_a_good_key(app, client, headers):
    make_private(app)

    response = client.get("/api/v1/ideas", headers=headers)

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_the_api_of_a_private_site_answers_a_signed_in_member(app, client, auth, make_user):
    make_private(app)
    auth.login(make_user())

    assert client.get("/api/v1/ideas").status_code == 200


# Personal feed tokens.

def token_of(app, member):
    """The member's current feed token."""
    with app.app_context():
        return feed_token(db.session.get(User, member.id))


@pytest.mark.parametrize("url", ["/feeds/ideas.atom", "/feeds/roadmap.atom", "/feeds/changelog.atom", "idea"])
def test_feeds_of_a_private_site_open_with_a_personal_token(app, client, make_user, make_idea, url):
    idea = make_idea(title="Offline mode")
    member = make_user()
    make_private(app)
    url = f"/feeds/ideas/{idea.id}.atom" if url == "idea" else url

    response = client.get(url, query_string={"token": token_of(app, member)})

    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"


def test_a_feed_with_a_token_names_itself_with_the_token(app, client, make_user, make_idea):
    make_idea(title="Offline mode")
    member = make_user()
    make_private(app)
    token = token_of(app, member)

    response = client.get("/feeds/ideas.atom", query_string={"token": token})

    feed = feedparser.parse(response.get_data())
    assert [entry.title for entry in feed.entries] == ["Offline mode"]
    self_link = next(link.href for link in feed.feed.links if link.rel == "self")
    assert parse_qs(urlsplit(self_link).query)["token"] == [token]


@pytest.mark.parametrize("token", [None, "", "garbage", "WzEsIiJd.forged"])
def test_feeds_of_a_private_site_refuse_a_missing_or_forged_token(app, client, make_user, token):
    make_user()
    make_private(app)

    response = client.get("/feeds/ideas.atom", query_string={"token": token} if token is not None else {})

    assert response.status_code == 404


def test_a_new_feed_token_retires_the_old_one(app, client, auth, make_user):
    member = make_user()
    make_private(app)
    old = token_of(app, member)
    auth.login(member)

    response = client.post("/account/feed-token")
    auth.logout()

    new = token_of(app, member)
    assert response.status_code == 303
    assert new != old
    assert client.get("/feeds/ideas.atom", query_string={"token": old}).status_code == 404
    assert client.get("/feeds/ideas.atom", query_string={"token": new}).status_code == 200


def test_a_suspended_members_feed_token_stops_working(app, client, make_user, fetch):
    member = make_user()
    make_private(app)
    token = token_of(app, member)
    fetch(lambda: (setattr(db.session.get(User, member.id), "suspended_at", utcnow()), db.session.commit()))

    assert client.get("/feeds/ideas.atom", query_string={"token": token}).status_code == 404


def test_one_members_token_is_not_anothers(app, make_user):
    first, second = make_user(), make_user()
    with app.app_context():
        regenerate_feed_token(db.session.get(User, first.id))
        db.session.commit()

    assert token_of(app, first) != token_of(app, second)


def test_the_settings_page_shows_the_personal_feed_links(app, client, auth, make_user):
    member = make_user()
    auth.login(member)

    page = client.get("/account/settings").get_data(as_text=True)

    assert f"http://localhost/feeds/ideas.atom?token={token_of(app, member)}" in page
    assert 'action="/account/feed-token"' in page


def test_a_members_pages_on_a_private_site_link_their_personal_feeds(app, client, auth, make_user):
    member = make_user()
    make_private(app)
    auth.login(member)

    page = client.get("/roadmap").get_data(as_text=True)
    auth.logout()

    links = re.findall(r'<link rel="alternate" type="application/atom\+xml" [^>]*href="([^"]+)"', page)
    assert f"/feeds/roadmap.atom?token={token_of(app, member)}" in links
    assert all(client.get(link.replace("&amp;", "&")).status_code == 200 for link in links)


def test_pages_of_a_public_site_link_the_plain_feeds(client, auth, make_user):
    auth.login(make_user())

    page = client.get("/roadmap").get_data(as_text=True)

    assert 'href="/feeds/roadmap.atom"' in page
    assert "token=" not in page


def test_making_new_feed_links_needs_a_signed_in_member(client):
    assert sent_to_sign_in(client.post("/account/feed-token"))


# Who may sign up.

SIGN_UP = {"name": "Nora Newcomer", "email": "nora@acme.example", "password": "nora's passphrase"}


def count_members(fetch, email):
    """How many accounts use `email`."""
    return fetch(lambda: db.session.execute(
        select(func.count()).select_from(User).where(User.email == email)).scalar_one())


def test_anyone_may_sign_up_by_default(client, fetch):
    assert client.post("/auth/signup", data=SIGN_UP).status_code == 303
    assert count_members(fetch, SIGN_UP["email"]) == 1


def test_an_address_at_an_allowed_domain_may_sign_up(app, client, fetch):
    set_rules(app, signup_mode="domains", allowed_domains="acme.example\nother.example")

    response = client.post("/auth/signup", data=SIGN_UP)

    assert response.status_code == 303
    assert count_members(fetch, SIGN_UP["email"]) == 1


def test_an_address_at_another_domain_is_refused_with_the_form_kept(app, client, fetch):
    set_rules(app, signup_mode="domains", allowed_domains="acme.example")
    data = dict(SIGN_UP, email="nora@elsewhere.example")

    response = client.post("/auth/signup", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Only addresses at acme.example may sign up here." in page
    assert 'value="nora@elsewhere.example"' in page and 'value="Nora Newcomer"' in page
    assert count_members(fetch, "nora@elsewhere.example") == 0


def test_a_subdomain_is_not_the_allowed_domain(app, client, fetch):
    set_rules(app, signup_mode="domains", allowed_domains="acme.example")

    response = client.post("/auth/signup", data=dict(SIGN_UP, email="nora@evil.acme.example.com"))

    assert response.status_code == 422


def test_the_sign_up_page_says_which_domains_may_join(app, client):
    set_rules(app, signup_mode="domains", allowed_domains="acme.example")

    page = client.get("/auth/signup").get_data(as_text=True)

    assert "Addresses at acme.example may sign up here" in page


def test_an_invitation_only_site_shows_no_sign_up_form(app, client):
    set_rules(app, signup_mode="invitation")

    page = client.get("/auth/signup").get_data(as_text=True)

    assert "by invitation only" in page
    assert 'action="/auth/signup"' not in page


def test_an_invitation_only_site_refuses_a_sign_up_post(app, client, fetch):
    set_rules(app, signup_mode="invitation")

    response = client.post("/auth/signup", data=SIGN_UP)

    assert response.status_code == 403
    assert count_members(fetch, SIGN_UP["email"]) == 0


# The admins' access settings.

ACCESS_FORM = {"private_mode": "y", "signup_mode": "domains",
               "allowed_domains": "Acme.example, @other.example"}


@pytest.mark.parametrize("role, expected", [(None, "login"), ("member", 403), ("staff", 403), ("admin", 200)])
def test_only_admins_open_the_access_settings(client, auth, make_user, role, expected):
    if role:
        auth.login(make_user(role=role))

    response = client.get("/admin/access")

    assert sent_to_sign_in(response) if expected == "login" else response.status_code == expected


@pytest.mark.parametrize("role, expected", [(None, "login"), ("member", 403), ("staff", 403), ("admin", 303)])
def test_only_admins_change_the_access_settings(app, client, auth, make_user, fetch, role, expected):
    if role:
        auth.login(make_user(role=role))

    response = client.post("/admin/access", data=ACCESS_FORM)

    assert sent_to_sign_in(response) if expected == "login" else response.status_code == expected
    assert fetch(lambda: get_setting("private_mode")) == ("1" if role == "admin" else "0")


def test_saving_the_access_settings_stores_clean_domains_and_audits(client, auth, make_user, fetch):
    admin = make_user(role="admin")
    auth.login(admin)

    client.post("/admin/access", data=ACCESS_FORM)

    assert fetch(lambda: (get_setting("private_mode"), get_setting("signup_mode"),
                          get_setting("allowed_domains"))) == ("1", "domains", "acme.example\nother.example")
    [entry] = fetch(lambda: db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "settings.access_changed")).scalars().all())
    assert entry.actor_id == admin.id
    assert json.loads(entry.after) == {"private_mode": "1", "signup_mode": "domains",
                                       "allowed_domains": "acme.example\nother.example"}


def test_the_access_page_shows_the_stored_settings(app, client, auth, make_user):
    set_rules(app, private_mode="1", signup_mode="domains", allowed_domains="acme.example")
    auth.login(make_user(role="admin"))

    page = client.get("/admin/access").get_data(as_text=True)

    assert '<input checked id="private_mode"' in page
    assert re.search(r'<input checked [^>]*value="domains"', page)
    assert "acme.example</textarea>" in page


@pytest.mark.parametrize("data, field_error", [
    ({"signup_mode": "domains", "allowed_domains": "acme.example, not a domain"},
     "“not” is not a domain name like example.com."),
    ({"signup_mode": "domains", "allowed_domains": "https://acme.example/"},
     "“https://acme.example/” is not a domain name like example.com."),
    ({"signup_mode": "domains", "allowed_domains": "*.acme.example"},
     "“*.acme.example” is not a domain name like example.com."),
    ({"signup_mode": "domains", "allowed_domains": ""},
     "Name at least one domain, or choose another sign-up rule."),
    ({"signup_mode": "domains", "allowed_domains": " ".join(f"d{n}.example" for n in range(51))},
     "List at most 50 domains."),
    ({"signup_mode": "everyone", "allowed_domains": ""}, "Not a valid choice."),
])
def test_bad_access_settings_answer_422_with_the_form_kept(app, client, auth, make_user, fetch, data,
                                                          field_error):
    auth.login(make_user(role="admin"))

    response = client.post("/admin/access", data=dict(data, private_mode="y"))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error in page
    if data["allowed_domains"]:
        assert data["allowed_domains"][:20] in page
    assert fetch(lambda: (get_setting("private_mode"), get_setting("signup_mode"))) == ("0", "open")
