"""The live character counter (issue 15): a limited field's note asks POST /text-length/<form>/<field>
for the count of what is typed, and the answer counts as the server's Length will, against the limit
the form states, without the database."""
import json
import re
from html import unescape

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from helpers import htmx_headers
from ideas import create_app
from ideas.accounts import NAME_MAX
from ideas.extensions import db
from ideas.models import COMMENT_MAX, DESCRIPTION_MAX, TITLE_MAX, Idea
from ideas.site_settings import set_setting
from ideas.web.forms import IdeaForm, too_long
from ideas.web.text_length import counted_forms, form_name

TITLE_COUNT = "/text-length/idea/title?lang=en"
# A limit line the counter drives: its URL and the words it starts with.
COUNTED_NOTE = re.compile(r'<p class="help field-limit" id="[^"]+"[^>]*\shx-post="([^"]+)"[^>]*>'
                          r'At most ([\d,]+) characters?\.</p>')


def count(client, url, **data):
    """Post the fields in `data` to the counter at `url` as the note's htmx request does."""
    return client.post(url, data=data, headers=htmx_headers("title-limit"))


# -- the answer ------------------------------------------------------------------------------------


def test_a_title_under_the_limit_gets_its_count_and_nothing_more(client):
    response = count(client, TITLE_COUNT, title="Dark mode")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body == f"9 / {TITLE_MAX} characters"


def test_a_title_at_the_limit_is_not_too_long(client):
    response = count(client, TITLE_COUNT, title="x" * TITLE_MAX)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body == f"{TITLE_MAX} / {TITLE_MAX} characters"


def test_a_title_over_the_limit_says_how_many_too_many(client):
    response = count(client, TITLE_COUNT, title="x" * (TITLE_MAX + 10))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.startswith(f"{TITLE_MAX + 10} / {TITLE_MAX} characters — ")
    assert '<span class="error">10 too many: shorten the text to send it.</span>' in body
    assert "<html" not in body


@pytest.mark.parametrize("typed, too_long_said", [(TITLE_MAX + 1, True), (TITLE_MAX, False)],
                         ids=["over", "at-the-limit"])
def test_each_count_tells_the_page_whether_the_text_is_too_long(client, typed, too_long_said):
    """So the page marks the input aria-invalid while it is (static/js/text-length.js)."""
    response = count(client, TITLE_COUNT, title="x" * typed)

    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"]) == {"textCounted": {"tooLong": too_long_said}}


def test_an_emoji_counts_as_one_character_as_the_server_counts(client):
    response = count(client, TITLE_COUNT, title="\U0001F680" * TITLE_MAX)  # 240 UTF-16 units

    assert response.status_code == 200
    assert response.get_data(as_text=True) == f"{TITLE_MAX} / {TITLE_MAX} characters"


def test_spaces_the_form_strips_are_not_counted(client):
    response = count(client, TITLE_COUNT, title="  Dark mode \n")

    assert response.get_data(as_text=True) == f"9 / {TITLE_MAX} characters"


def test_a_line_break_counts_once_as_htmx_sends_it_or_as_a_browser_submits_it(client):
    as_htmx = count(client, "/text-length/idea/description?lang=en", description="a\nb")
    as_browser = count(client, "/text-length/idea/description?lang=en", description="a\r\nb")

    expected = f"3 / {DESCRIPTION_MAX:,} characters"
    assert as_htmx.get_data(as_text=True) == as_browser.get_data(as_text=True) == expected


def test_a_description_the_counter_calls_full_is_taken_when_the_browser_sends_crlf(
        client, auth, make_user, fetch):
    auth.login(make_user())
    lines = "x" * 99 + "\n"  # 100 characters a line, as the counter counts them
    typed = lines * (DESCRIPTION_MAX // 100)

    response = client.post("/ideas/new", data={"title": "Many lines", "kind": "idea",
                                               "description": typed.replace("\n", "\r\n")})

    assert response.status_code == 303
    stored = fetch(lambda: db.session.execute(
        select(Idea.description).filter_by(title="Many lines")).scalar_one())
    assert stored == typed.strip()


def test_numbers_follow_the_language_of_the_page(client):
    response = count(client, "/text-length/idea/description?lang=de", description="x" * 1234)

    assert response.status_code == 200
    assert f"1.234 / {DESCRIPTION_MAX:,}".replace(",", ".") in response.get_data(as_text=True)


def test_a_prefixed_form_is_read_under_its_own_field_name(client):
    response = count(client, "/text-length/comment/body?prefix=edit-&lang=en", **{"edit-body": "Me too"})

    assert response.status_code == 200
    assert response.get_data(as_text=True) == f"6 / {COMMENT_MAX:,} characters"


@pytest.mark.parametrize("url", [
    "/text-length/no-such-form/title",     # unknown form
    "/text-length/idea/no_such_field",     # unknown field
    "/text-length/idea/kind",              # a field without a limit
    "/text-length/sign-up/password",       # passwords are never counted here
    "/text-length/idea/csrf_token",
])
def test_a_form_or_field_without_a_counter_is_not_found(client, url):
    response = client.post(url, data={"title": "x"})

    assert response.status_code == 404


def test_counting_only_answers_posts(client):
    response = client.get(f"{TITLE_COUNT}&title=x")

    assert response.status_code == 405


# -- the server's answer to text over the limit -----------------------------------------------------


def test_a_title_over_the_limit_is_refused_in_the_counters_words_with_the_text_kept(
        client, auth, make_user, fetch):
    auth.login(make_user())
    typed = "Typed " + "x" * 124  # 130 characters

    response = client.post("/ideas/new", data={"title": typed, "kind": "idea"})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="title-error">([^<]*)</p>', body).group(1)
    assert error == "At most 120 characters: this has 130, 10 too many."
    assert "cannot be longer" not in body
    title = re.search(r'<input [^>]*id="title"[^>]*>', body).group(0)
    assert f'value="{typed}"' in title
    assert 'aria-invalid="true"' in title
    assert 'aria-describedby="title-limit title-error"' in title
    assert fetch(lambda: db.session.execute(select(func.count(Idea.id))).scalar_one()) == 0


def test_every_limited_field_of_every_form_says_too_long_in_the_same_words(app):
    """Forms live beside their views all over ideas/web; each says it through forms.Form."""
    checked = []
    with app.test_request_context():
        for name, form_class in counted_forms().items():
            limits = {field.name: field.flags.maxlength for field in form_class(meta={"csrf": False})
                      if field.flags.maxlength}
            typed = MultiDict({field: "1" * (limit + 2) for field, limit in limits.items()})
            form = form_class(formdata=typed, meta={"csrf": False})
            for field, limit in limits.items():
                form[field].validate(form)
                assert too_long(limit, limit + 2) in form[field].errors, f"{name}.{field}"
                checked.append(f"{name}.{field}")

    assert {"idea.title", "comment.body", "sign-up.name", "sign-up.password", "entry.title",
            "api-key.name"} <= set(checked)


def test_the_words_for_too_long_count_as_the_page_does(app):
    with app.test_request_context():
        assert too_long(10_000, 10_001) == "At most 10,000 characters: this has 10,001, 1 too many."
        assert too_long(1, 3) == "At most 1 character: this has 3, 2 too many."


# -- cheap and safe --------------------------------------------------------------------------------


def test_counting_for_a_signed_in_member_runs_no_sql(client, auth, make_user, count_queries):
    auth.login(make_user())
    client.get("/ideas/new")  # the session is loaded and noted as seen before the measure

    with count_queries() as statements:
        response = count(client, TITLE_COUNT, title="x" * (TITLE_MAX + 1))

    assert response.status_code == 200
    assert statements == []


def test_a_signed_out_visitor_of_a_private_site_can_count_on_the_sign_up_form(app, client):
    with app.app_context():
        set_setting("private_mode", "1")
        db.session.commit()

    response = count(client, "/text-length/sign-up/name?lang=en", name="Robin")

    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("5 / ")


@pytest.fixture
def csrf_client(database_url):
    """A browser on the app with CSRF protection on, as in production."""
    csrf_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    yield csrf_app.test_client()
    with csrf_app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_count_needs_no_csrf_token(csrf_client):
    """It changes nothing; and a count still on its way when sign-up renews the session (and its
    token) must not fail in the browser."""
    csrf_client.get("/auth/signup")

    response = count(csrf_client, "/text-length/sign-up/name?lang=en", name="Robin")

    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("5 / ")


def test_a_count_sent_with_a_token_from_before_sign_up_is_still_answered(csrf_client):
    page = csrf_client.get("/auth/signup").get_data(as_text=True)
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    with csrf_client.session_transaction() as session:
        session.clear()  # what signing up does to the session the token belonged to

    response = csrf_client.post("/text-length/sign-up/name?lang=en", data={"name": "Robin"},
                                headers={**htmx_headers("name-limit"), "X-CSRFToken": token})

    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("5 / ")


# -- the pages -------------------------------------------------------------------------------------


def test_the_title_note_asks_for_the_count_as_one_types_and_keeps_its_words(client, auth, make_user):
    auth.login(make_user())

    body = client.get("/ideas/new").get_data(as_text=True)

    note = re.search(r'<p class="help field-limit" id="title-limit"[^>]*>[^<]*</p>', body).group(0)
    assert 'aria-live="polite"' in note
    assert 'hx-post="/text-length/propose/title?lang=en"' in note  # the new-idea form (ProposeForm)
    assert 'hx-trigger="input changed delay:300ms from:#title"' in note
    assert 'hx-params="title"' in note and 'hx-target="this"' in note
    assert note.endswith(f">At most {TITLE_MAX} characters.</p>")
    assert 'hx-get="/ideas/similar"' in body  # the title's own htmx (similar ideas) stays


STAFF_PAGES = ["/ideas/new", "/ideas/{idea}", "/ideas/{idea}/edit", "/account/settings", "/admin/tags",
               "/admin/branding", "/admin/webhooks/new", "/changelog/new", "/announcements/new", "/staff/"]


def test_every_counted_note_is_answered_with_the_limit_it_shows(
        client, auth, make_user, make_idea, make_tag):
    admin = make_user(role="admin")
    idea = make_idea(author=admin)
    make_tag("delivery")
    auth.login(admin)
    notes = {}
    for page in STAFF_PAGES:
        response = client.get(page.format(idea=idea.id))
        assert response.status_code == 200, page
        notes.update(COUNTED_NOTE.findall(response.get_data(as_text=True)))

    answers = {url: client.post(unescape(url), data={}).get_data(as_text=True) for url in notes}

    assert answers == {url: f"0 / {limit} characters" for url, limit in notes.items()}
    named = {re.match(r"/text-length/([^/]+)/([^?]+)", unescape(url)).groups() for url in notes}
    assert {("idea", "title"), ("idea", "description"), ("comment", "body"), ("status", "note"),
            ("tag", "name"), ("branding", "site_name"), ("branding", "welcome"),
            ("endpoint", "url"), ("endpoint", "secret"), ("bulk", "note"), ("api-key", "name"),
            ("name", "name"), ("entry", "title"), ("announcement", "message")} <= named


def test_a_note_without_javascript_is_plain_words(client):
    body = client.get("/auth/signup").get_data(as_text=True)

    assert re.search(rf'id="name-limit"[^>]*>At most {NAME_MAX} characters\.</p>', body)
    assert 'id="password-limit"' not in body and 'id="email-limit"' not in body


# -- naming ----------------------------------------------------------------------------------------


def test_forms_are_named_by_their_class_in_kebab_case():
    assert form_name(IdeaForm) == "idea"
    assert counted_forms()["idea"] is IdeaForm
    assert counted_forms()["api-key"].__name__ == "ApiKeyForm"


def test_no_two_forms_of_the_app_share_a_name(app):
    assert None not in counted_forms().values()
