"""Headers, cookies, CSRF, side-effect-free GETs and `next=` that stays on this site."""
import io
import json
from html.parser import HTMLParser

import pytest
from flask import url_for
from sqlalchemy import func, select

import image_files
from helpers import htmx_headers, recorded_statements, run_worker
from ideas import accounts, create_app
from ideas.attachments import upload
from ideas.boards import create_board
from ideas.unsubscribe import unsubscribe_token
from ideas.comments import add_comment
from ideas.extensions import db
from ideas.models import (
    AccountEmail, Announcement, ChangelogEntry, Comment, Follow, Idea, Segment, User, Vote, WebhookEndpoint,
    utcnow,
)
from ideas.web.responses import safe_next

REQUIRED_CSP = {
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


def csp_directives(header):
    """The Content-Security-Policy header as {directive: sources}."""
    directives = {}
    for part in header.split(";"):
        name, _, sources = part.strip().partition(" ")
        if name:
            directives[name] = " ".join(sources.split())
    return directives


def cookie_named(response, name):
    """Attributes of the Set-Cookie for `name`, lower-cased: {"httponly": "", "samesite": "lax"}."""
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        if first.startswith(f"{name}="):
            pairs = (attribute.partition("=") for attribute in attributes)
            return {key.lower(): value.lower() for key, _, value in pairs}
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


class FormReader(HTMLParser):
    """The CSRF token of each form by its action, and the hx-headers of <main>."""

    def __init__(self, html):
        super().__init__()
        self.tokens = {}
        self.main_hx_headers = None
        self._action = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._action = attrs.get("action")
        elif tag == "input" and attrs.get("name") == "csrf_token" and self._action:
            self.tokens[self._action] = attrs.get("value")
        elif tag == "main":
            self.main_hx_headers = attrs.get("hx-headers")

    def handle_endtag(self, tag):
        if tag == "form":
            self._action = None


def count_rows(fetch, model, **where):
    """How many rows of `model` match the column values in `where`."""
    statement = select(func.count()).select_from(model).filter_by(**where)
    return fetch(lambda: db.session.execute(statement).scalar_one())


# -- headers and cookies ---------------------------------------------------------------------------

RESPONSES = {
    "page": lambda client, idea: client.get("/"),
    "idea page": lambda client, idea: client.get(f"/ideas/{idea.id}"),
    "htmx fragment": lambda client, idea: client.get("/", headers=htmx_headers("board-results")),
    "not found": lambda client, idea: client.get("/ideas/999999"),
    "method not allowed": lambda client, idea: client.get("/auth/logout"),
    "post redirect": lambda client, idea: client.post("/auth/logout"),
    "static file": lambda client, idea: client.get("/static/css/ideas.css"),
}
EXPECTED_STATUS = {"not found": 404, "method not allowed": 405, "post redirect": 303}


@pytest.mark.parametrize("kind", RESPONSES)
def test_every_kind_of_response_carries_the_security_headers(client, make_idea, kind):
    response = RESPONSES[kind](client, make_idea())

    assert response.status_code == EXPECTED_STATUS.get(kind, 200)
    directives = csp_directives(response.headers["Content-Security-Policy"])
    assert {name: directives.get(name) for name in REQUIRED_CSP} == REQUIRED_CSP
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_session_cookie_is_http_only_and_same_site_lax(client, make_user):
    member = make_user()

    response = client.post("/auth/login", data={"email": member.email,
                                                 "password": "correct horse battery"})

    assert response.status_code == 303
    cookie = cookie_named(response, "session")
    assert "httponly" in cookie
    assert cookie["samesite"] == "lax"
    assert "secure" not in cookie  # plain http in development and tests


def test_the_remember_me_cookie_is_http_only_and_same_site_lax(auth, make_user):
    response = auth.login(make_user(), remember=True)

    cookie = cookie_named(response, "remember_token")
    assert "httponly" in cookie
    assert cookie["samesite"] == "lax"


@pytest.fixture
def production_env(monkeypatch, database_url):
    """Environment for ProductionConfig on the test database; no Redis, no rate limits."""
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ALLOW_SQLITE", "1")
    monkeypatch.setenv("RATELIMIT_ENABLED", "0")
    monkeypatch.setenv("BASE_URL", "https://ideas.example.com")
    for name in ("REDIS_URL", "SERVER_NAME", "PREFERRED_URL_SCHEME", "IDEAS_ENV", "ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def production_app(production_env):
    """create_app("production") as a deployment builds it."""
    app = create_app("production")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_production_cookies_are_secure_and_https_is_required(production_app):
    response = production_app.test_client().get("/auth/login", base_url="https://ideas.example.com")

    assert response.status_code == 200
    cookie = cookie_named(response, "session")  # the CSRF token lives in the session
    assert {"secure", "httponly"} <= set(cookie)
    assert cookie["samesite"] == "lax"
    assert production_app.config["REMEMBER_COOKIE_SECURE"] is True
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("env, problem", [
    pytest.param({"SECRET_KEY": None}, "SECRET_KEY", id="no-secret-key"),
    pytest.param({"SECRET_KEY": ""}, "SECRET_KEY", id="empty-secret-key"),
    pytest.param({"DATABASE_URL": None}, "DATABASE_URL", id="no-database"),
    pytest.param({"ALLOW_SQLITE": None}, "ALLOW_SQLITE", id="sqlite-not-allowed"),
    pytest.param({"ALLOW_SQLITE": "0"}, "ALLOW_SQLITE", id="sqlite-refused"),
    pytest.param({"BASE_URL": None}, "BASE_URL", id="no-base-url"),
    pytest.param({"BASE_URL": "ideas.example.com"}, "BASE_URL", id="base-url-without-scheme"),
])
def test_production_refuses_to_start_without_its_settings(monkeypatch, tmp_path, env, problem):
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("BASE_URL", "https://ideas.example.com")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ideas.sqlite'}")
    monkeypatch.setenv("ALLOW_SQLITE", "1")
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)

    with pytest.raises(RuntimeError, match=problem):
        create_app("production")


@pytest.mark.parametrize("host", ["evil.example", "10.0.0.7", "ideas.example.com.evil.example"])
def test_production_answers_only_to_its_own_host_names(production_app, host):
    response = production_app.test_client().get("/", base_url=f"https://{host}")

    assert response.status_code == 400
    assert "does not answer to that host name" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_answer_a_load_balancer_calling_an_ip_address(production_app, path):
    response = production_app.test_client().get(path, base_url="http://10.0.0.7:8000")

    assert response.status_code == 200


def test_allowed_hosts_may_name_more_than_base_urls(production_env, monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "ideas.example.com, .acme.test")
    app = create_app("production")
    client = app.test_client()

    assert client.get("/", base_url="https://feedback.acme.test").status_code == 200
    assert client.get("/", base_url="https://evil.example").status_code == 400


# -- CSRF ------------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app, database_url):
    """The app with CSRF protection on, as in production, on the same database as `app`."""
    csrf_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url,
                                      "WTF_CSRF_ENABLED": True})
    yield csrf_app
    with csrf_app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def csrf_client(csrf_app, make_user):
    """A member signed in through the real form, token and all."""
    client = csrf_app.test_client()
    member = make_user()
    token = FormReader(client.get("/auth/login").get_data(as_text=True)).tokens["/auth/login"]
    response = client.post("/auth/login", data={"email": member.email, "csrf_token": token,
                                                "password": "correct horse battery"})
    assert response.status_code == 303
    client.member = member
    return client


def test_signing_in_without_a_token_is_refused(csrf_app, make_user):
    member = make_user()
    client = csrf_app.test_client()

    response = client.post("/auth/login", data={"email": member.email,
                                                "password": "correct horse battery"})

    assert response.status_code == 400
    assert client.get("/account/settings").status_code == 302  # still signed out


MUTATIONS = {
    "vote": (lambda idea: f"/ideas/{idea.id}/vote", {}, lambda idea: (Vote, {"idea_id": idea.id})),
    "follow": (lambda idea: f"/ideas/{idea.id}/follow", {},
               lambda idea: (Follow, {"idea_id": idea.id})),
    "comment": (lambda idea: f"/ideas/{idea.id}/comments", {"body": "Me too"},
                lambda idea: (Comment, {"idea_id": idea.id})),
    "propose": (lambda idea: "/ideas/new", {"title": "Sneaky", "kind": "idea"},
                lambda idea: (Idea, {})),
}


@pytest.mark.parametrize("action", MUTATIONS)
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(
        csrf_client, make_idea, fetch, action):
    idea = make_idea()
    url, data, rows = MUTATIONS[action]
    model, where = rows(idea)
    before = count_rows(fetch, model, **where)

    response = csrf_client.post(url(idea), data=data)

    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    assert count_rows(fetch, model, **where) == before


def test_an_htmx_post_without_a_token_gets_a_notice_asking_to_reload(csrf_client, make_idea, fetch):
    idea = make_idea()

    response = csrf_client.post(f"/ideas/{idea.id}/vote",
                                headers=htmx_headers(f"idea-{idea.id}-vote"))

    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#notices"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert "Reload" in body
    assert 'role="alert"' in body
    assert "<html" not in body
    assert count_rows(fetch, Vote, idea_id=idea.id) == 0


def test_a_post_with_the_token_from_the_page_form_succeeds(csrf_client, make_idea, fetch):
    idea = make_idea()
    page = csrf_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    token = FormReader(page).tokens[f"/ideas/{idea.id}/vote"]

    response = csrf_client.post(f"/ideas/{idea.id}/vote", data={"csrf_token": token})

    assert response.status_code == 303
    assert count_rows(fetch, Vote, idea_id=idea.id) == 1


def test_htmx_sends_the_token_from_hx_headers_on_main_and_it_is_accepted(
        csrf_client, make_idea, fetch):
    idea = make_idea()
    page = csrf_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    hx_headers = json.loads(FormReader(page).main_hx_headers)

    response = csrf_client.post(f"/ideas/{idea.id}/vote",
                                headers={**htmx_headers(f"idea-{idea.id}-vote"), **hx_headers})

    assert set(hx_headers) == {"X-CSRFToken"}
    assert response.status_code == 200
    assert f'id="idea-{idea.id}-vote"' in response.get_data(as_text=True)
    assert count_rows(fetch, Vote, idea_id=idea.id) == 1


def test_a_token_from_another_session_is_refused(csrf_app, csrf_client, make_idea, fetch):
    idea = make_idea()
    stranger = csrf_app.test_client()
    token = FormReader(stranger.get(f"/ideas/{idea.id}").get_data(as_text=True)).main_hx_headers
    token = json.loads(token)["X-CSRFToken"]

    response = csrf_client.post(f"/ideas/{idea.id}/vote", data={"csrf_token": token})

    assert response.status_code == 400
    assert count_rows(fetch, Vote, idea_id=idea.id) == 0


# -- GET never changes anything --------------------------------------------------------------------


# What a GET may write: a note of when the member looked, which changes nothing anyone sees but
# which of that member's ideas "My activity" marks as changed next time (a forged GET can only
# make those marks start later).
BOOKKEEPING = {"users": {"activity_seen_at"}}


def snapshot(fetch):
    """Every row of every table (bookkeeping columns left out), to compare before and after a request."""
    def read():
        return {table.name: sorted(
                    map(repr, db.session.execute(select(*(column for column in table.columns
                        if column.name not in BOOKKEEPING.get(table.name, ())))).all()))
                for table in db.metadata.sorted_tables}
    return fetch(read)


@pytest.fixture
def sample_urls(app, make_user, make_idea, make_tag, make_company, fetch):
    """A URL for every GET route, filled with ids and tokens that exist."""
    author = make_user(confirmed=False)
    tag = make_tag("sample")
    idea = make_idea(author=author, tags=[tag])
    company = make_company("Acme", members=[author], plan="Enterprise")
    admin = make_user(role="admin")
    with app.test_request_context():
        member = db.session.get(User, author.id)
        comment = add_comment(member, db.session.get(Idea, idea.id), "First!")
        entry = ChangelogEntry(title="Sample entry", author_id=author.id, published_at=utcnow())
        endpoint = WebhookEndpoint(url="https://hooks.example.com/ideas", secret="s" * 32,
                                   events="idea.created")
        announcement = Announcement(author_id=author.id, message="Sample", message_html="<p>Sample</p>",
                                    target="tag", tag_id=tag.id, tag_name=tag.name)
        segment = Segment(name="Enterprise", rules='[{"field": "attribute.plan", "operator": "is", '
                                                    '"value": "Enterprise"}]')
        db.session.add_all([entry, endpoint, announcement, segment])
        board = create_board(db.session.get(User, admin.id), {"name": "Partners", "access": "public"})
        attachment = upload(db.session.get(User, admin.id), image_files.png(), "screenshot.png")
        db.session.commit()
        tokens = {"auth.reset_password": accounts.password_reset_token(member),
                  "auth.confirm": accounts.confirmation_token(member),
                  "notifications.unsubscribe": unsubscribe_token(member)}
        urls = []
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            values = {"idea_id": idea.id, "comment_id": comment.id, "member_id": author.id,
                      "tag_id": tag.id, "entry_id": entry.id, "endpoint_id": endpoint.id,
                      "announcement_id": announcement.id, "company_id": company.id, "segment_id": segment.id,
                      "board_id": board.id, "slug": board.slug, "key": "open", "attachment_id": attachment.id,
                      "token": tokens.get(rule.endpoint)}
            missing = [name for name in rule.arguments if values.get(name) is None]
            assert not missing, f"give test_security a sample {missing} for {rule.endpoint}"
            urls.append(url_for(rule.endpoint, **{name: values[name] for name in rule.arguments}))
    return urls


@pytest.mark.parametrize("role", [None, "member", "admin"])
def test_no_get_route_changes_the_database(client, auth, make_user, fetch, sample_urls, role):
    if role:
        auth.login(make_user(role=role))
    changed = []

    for url in sample_urls:
        before = snapshot(fetch)
        response = client.get(url)
        assert response.status_code < 500, url
        response.get_data()  # run streamed bodies (CSV exports) to the end, as a browser would
        if snapshot(fetch) != before:
            changed.append(url)

    assert changed == []
    assert len(sample_urls) >= 14  # every GET route was visited


# -- where `next` may lead -------------------------------------------------------------------------

OFF_SITE = [
    "https://evil.example", "http://evil.example/ideas/1", "//evil.example", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "\\/evil.example", " //evil.example",
    "/\t/evil.example", "/\r\n/evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>", "https:evil.example", "evil.example",
    "ideas/1", "",
]
ON_SITE = ["/", "/ideas/1", "/?sort=top&page=2", "/ideas/1#comment-3", "/?q=//evil.example"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_targets_off_this_site(target):
    assert safe_next(target, "/fallback") == "/fallback"


def test_safe_next_falls_back_when_there_is_no_target():
    assert safe_next(None, "/fallback") == "/fallback"


@pytest.mark.parametrize("target", ON_SITE)
def test_safe_next_keeps_paths_on_this_site(target):
    assert safe_next(target, "/fallback") == target


@pytest.mark.parametrize("channel", ["form", "query"])
@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_signing_in_with_an_off_site_next_lands_on_the_board(client, make_user, target, channel):
    member = make_user()
    data = {"email": member.email, "password": "correct horse battery"}
    query = {}
    (data if channel == "form" else query)["next"] = target

    response = client.post("/auth/login", data=data, query_string=query)

    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("channel", ["form", "query"])
def test_signing_in_with_an_on_site_next_goes_there(client, make_user, channel):
    member = make_user()
    data = {"email": member.email, "password": "correct horse battery"}
    query = {}
    (data if channel == "form" else query)["next"] = "/ideas/1"

    response = client.post("/auth/login", data=data, query_string=query)

    assert response.status_code == 303
    assert response.headers["Location"] == "/ideas/1"


def test_voting_with_an_off_site_next_returns_to_the_idea(
        client, auth, make_user, make_idea, fetch):
    idea = make_idea()
    auth.login(make_user())

    response = client.post(f"/ideas/{idea.id}/vote", data={"next": "//evil.example"})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/ideas/{idea.id}"
    assert count_rows(fetch, Vote, idea_id=idea.id) == 1


# Whether an address has an account does not show in the answer, nor in the work behind it.

EMAILED_IF_KNOWN = {
    "sign-in code": ("/auth/code", "code", "Your sign-in code for Ideas"),
    "password reset": ("/auth/forgot", "reset", "Reset your password"),
}


@pytest.mark.parametrize("url, kind, subject", EMAILED_IF_KNOWN.values(), ids=EMAILED_IF_KNOWN.keys())
def test_the_request_only_queues_the_email_and_the_worker_sends_it(mail_app, smtp_server, make_user, fetch,
                                                                   url, kind, subject):
    member = make_user()

    response = mail_app.test_client().post(url, data={"email": member.email})

    assert response.status_code == 303
    assert smtp_server.messages == []  # the answer waited for no mail server
    assert fetch(lambda: db.session.execute(select(AccountEmail.kind, AccountEmail.state)).all()) == [
        (kind, "pending")]
    run_worker(mail_app)
    [message] = smtp_server.messages
    assert (message["To"], message["Subject"]) == (member.email, subject)


@pytest.mark.parametrize("url, kind, subject", EMAILED_IF_KNOWN.values(), ids=EMAILED_IF_KNOWN.keys())
def test_the_request_does_the_same_work_whether_or_not_the_address_has_an_account(
        app, client, make_user, fetch, url, kind, subject):
    member = make_user()
    answers, statements = {}, {}
    for which, email in (("known", member.email), ("unknown", "nobody@example.com")):
        with recorded_statements(app, lambda statement: " ".join(statement.split())) as executed:
            answers[which] = client.post(url, data={"email": email})
        statements[which] = executed

    assert answers["known"].status_code == answers["unknown"].status_code == 303
    assert answers["known"].headers["Location"] == answers["unknown"].headers["Location"]
    assert statements["known"] == statements["unknown"]
    [only] = [statement for statement in statements["known"] if not statement.startswith("BEGIN")]
    assert only.startswith("INSERT INTO account_emails ")  # one row, and no look-up of the address
    assert fetch(lambda: db.session.execute(
        select(AccountEmail.kind, AccountEmail.address).order_by(AccountEmail.id)).all()) == [
        (kind, member.email), (kind, "nobody@example.com")]


def test_a_sign_in_attempt_for_an_unknown_address_checks_a_password_hash_too(client, make_user, monkeypatch):
    checked = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password", lambda *args: checked.append(args) or real(*args))

    response = client.post("/auth/login", data={"email": "nobody@example.com", "password": "a guess at it"})

    assert response.status_code == 422
    assert len(checked) == 1  # as slow as a wrong password for a real account
    assert checked[0][0].startswith("$argon2id$")


# Request bodies larger than MAX_CONTENT_LENGTH are refused before they are read.

def test_the_body_limit_is_small_and_only_the_csv_import_takes_more(monkeypatch):
    from config import TestingConfig

    monkeypatch.delenv("MAX_CONTENT_LENGTH", raising=False)
    monkeypatch.setenv("IMPORT_MAX_BYTES", str(20 * 1024 * 1024))
    assert TestingConfig().MAX_CONTENT_LENGTH == 1024 * 1024
    assert TestingConfig().IMPORT_MAX_CONTENT_LENGTH == 21 * 1024 * 1024
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "5000000")
    assert TestingConfig().MAX_CONTENT_LENGTH == 5_000_000


@pytest.mark.parametrize("path", ["/auth/login", "/auth/signup", "/auth/forgot", "/auth/code"])
def test_an_anonymous_two_megabyte_post_is_refused_before_it_is_read(client, path):
    response = client.post(path, data=b"x=" + b"y" * (2 * 1024 * 1024),
                           content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert "which takes files of at most 1 MB" in response.get_data(as_text=True)


def test_a_csv_import_larger_than_the_site_wide_limit_is_read(client, auth, make_user):
    auth.login(make_user(role="staff"))
    rows = "".join(f"{n},Idea number {n} {'padding ' * 20},idea,open,ada@example.com\r\n"
                   for n in range(1, 9000))
    upload = ("id,title,kind,status,author_email\r\n" + rows).encode()
    assert len(upload) > 1024 * 1024

    response = client.post("/staff/csv/import", data={"file": (io.BytesIO(upload), "ideas.csv")},
                           content_type="multipart/form-data")

    assert response.status_code == 200
    assert 'name="token"' in response.get_data(as_text=True)


def test_a_too_large_upload_answers_413_with_a_page_and_changes_nothing(app, client, auth, make_user, fetch):
    from ideas.models import SiteAsset

    app.config["MAX_CONTENT_LENGTH"] = 3 * 1024 * 1024
    auth.login(make_user(role="admin"))
    upload = {"site_name": "Huge", "logo": (io.BytesIO(b"\x89PNG" + b"0" * (4 * 1024 * 1024)), "logo.png")}

    response = client.post("/admin/branding", data=upload, content_type="multipart/form-data")

    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "What you sent is too large for this site, which takes files of at most 3 MB." in body
    assert "<html" in body and 'href="/"' in body
    assert fetch(lambda: db.session.execute(select(func.count()).select_from(SiteAsset)).scalar()) == 0


def test_a_too_large_body_under_the_api_answers_413_json(app, client, make_user, fetch):
    from ideas.api_keys import create_api_key

    member = make_user()
    token = fetch(lambda: (create_api_key(db.session.get(User, member.id), "CI")[1], db.session.commit())[0])
    app.config["MAX_CONTENT_LENGTH"] = 1024

    response = client.post("/api/v1/ideas", data=json.dumps({"title": "x" * 2000}),
                           content_type="application/json", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 413
    assert response.get_json() == {"error": {
        "code": "payload_too_large", "fields": {},
        "message": "The request body is larger than the 1024 bytes this site accepts."}}
    assert fetch(lambda: db.session.execute(select(func.count()).select_from(Idea)).scalar()) == 0
