"""Languages: the catalogue is complete and compiled, the locale follows the member's setting,
else the browser, else English, and pages, dates, numbers and emails come out in German."""
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import update

from helpers import run_worker
from ideas.extensions import db
from ideas.i18n import exact_time, relative_time
from ideas.models import Idea, User

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "translations" / "de" / "LC_MESSAGES" / "messages.po"
COMPILED = CATALOGUE.with_suffix(".mo")
NOW = datetime(2026, 11, 30, 14, 5, tzinfo=timezone.utc)
GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


def german_catalogue():
    """The German catalogue as Babel reads it."""
    with CATALOGUE.open("rb") as source:
        return read_po(source, locale="de")


def set_locale(app, member, locale):
    """Store a member's language choice directly."""
    with app.app_context():
        db.session.execute(update(User).where(User.id == member.id).values(locale=locale))
        db.session.commit()


# The catalogue

def test_the_compiled_catalogue_is_the_po_file_compiled():
    compiled = BytesIO()
    write_mo(compiled, german_catalogue())

    assert COMPILED.read_bytes() == compiled.getvalue(), "run: pybabel compile -d translations"


def test_every_msgid_has_a_german_translation_and_none_is_fuzzy():
    catalogue = german_catalogue()
    untranslated = [message.id for message in catalogue if message.id and (
        not all(message.string) if isinstance(message.string, tuple) else not message.string)]
    fuzzy = [message.id for message in catalogue if message.id and message.fuzzy]

    assert len(catalogue) > 500
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_every_placeholder_python_format_expects():
    problems = [(message.id, str(error))
                for message, errors in german_catalogue().check() for error in errors]

    assert problems == []


def test_the_catalogue_holds_every_string_the_source_marks(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(template), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with template.open("rb") as source:
        marked = {message.id if isinstance(message.id, str) else tuple(message.id)
                  for message in read_po(source) if message.id}
    catalogued = {message.id if isinstance(message.id, str) else tuple(message.id)
                  for message in german_catalogue() if message.id}

    assert sorted(marked - catalogued, key=str) == [], "run: pybabel update -i … -d translations"


# Dates and numbers

@pytest.mark.parametrize(("locale", "ago", "words"), [
    ("de", timedelta(days=3), "vor 3 Tagen"),
    ("de", timedelta(minutes=59), "vor 59 Minuten"),
    ("en", timedelta(days=3), "3 days ago"),
])
def test_relative_dates_are_worded_in_the_locale(app, locale, ago, words):
    with app.test_request_context(headers={"Accept-Language": locale}):
        assert relative_time(NOW - ago, now=NOW) == words


def test_just_now_is_translated_too(app):
    with app.test_request_context(headers=GERMAN):
        assert relative_time(NOW - timedelta(seconds=5), now=NOW) == "gerade eben"


def test_the_exact_time_uses_german_day_and_month_names(app):
    with app.test_request_context(headers=GERMAN):
        assert exact_time(NOW) == "Montag, 30. November 2026, 14:05 UTC"


def test_counts_group_digits_as_the_locale_does(client, make_idea, app):
    idea = make_idea(title="Popular idea")
    with app.app_context():
        db.session.execute(update(Idea).where(Idea.id == idea.id).values(vote_count=1234))
        db.session.commit()

    english = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    german = client.get(f"/ideas/{idea.id}", headers=GERMAN).get_data(as_text=True)

    assert '<span class="vote-count">1,234</span>' in english
    assert '<span class="vote-count">1.234</span>' in german


# Choosing the locale

def test_a_visitor_without_accept_language_gets_english(client):
    response = client.get("/")

    assert response.status_code == 200
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "What should we build next?" in response.get_data(as_text=True)


def test_the_board_follows_a_german_browser(client, make_idea):
    make_idea(title="Dark mode", kind="problem")

    page = client.get("/", headers=GERMAN).get_data(as_text=True)

    assert '<html lang="de">' in page
    assert "Was sollen wir als Nächstes bauen?" in page
    assert "Idee vorschlagen" in page
    assert ">Problem</span>" in page
    assert "0 Kommentare" in page
    assert "What should we build next?" not in page


def test_the_best_supported_browser_language_wins(client):
    page = client.get("/", headers={"Accept-Language": "fr-FR, fr;q=0.9, de;q=0.7, en;q=0.3"}).get_data(
        as_text=True)

    assert '<html lang="de">' in page


def test_an_unsupported_browser_language_falls_back_to_english(client):
    page = client.get("/", headers={"Accept-Language": "fr-FR, ja"}).get_data(as_text=True)

    assert '<html lang="en">' in page


def test_an_idea_page_comes_out_in_german(client, make_idea):
    idea = make_idea(title="Dark mode")

    page = client.get(f"/ideas/{idea.id}", headers=GERMAN).get_data(as_text=True)

    assert f"Vorgeschlagen von <bdi>{idea.author.name}</bdi>" in page
    assert "gerade eben" in page
    assert "Diskussion (0)" in page
    assert "Neu</span>" in page
    assert "Zum Abstimmen anmelden" in page


def test_a_members_setting_beats_the_browser(app, client, auth, make_user):
    member = make_user()
    set_locale(app, member, "en")
    auth.login(member)

    page = client.get("/", headers=GERMAN).get_data(as_text=True)

    assert '<html lang="en">' in page
    assert "What should we build next?" in page


def test_a_member_who_chose_german_gets_german_from_an_english_browser(app, client, auth, make_user):
    member = make_user()
    set_locale(app, member, "de")
    auth.login(member)

    page = client.get("/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)

    assert '<html lang="de">' in page
    assert "Meine Aktivität" in page


def test_a_member_without_a_setting_follows_the_browser(client, auth, make_user):
    auth.login(make_user())

    page = client.get("/", headers=GERMAN).get_data(as_text=True)

    assert '<html lang="de">' in page


def test_validation_messages_come_out_in_the_locale(client, auth, make_user):
    auth.login(make_user())

    response = client.post("/ideas/new", data={"title": "", "kind": "idea"}, headers=GERMAN)

    assert response.status_code == 422
    assert "Geben Sie Ihrer Idee einen Titel." in response.get_data(as_text=True)


def test_wtforms_own_messages_come_out_in_the_locale_request_after_request(client, auth, make_user):
    auth.login(make_user())

    for headers, message in ((GERMAN, "Keine gültige Auswahl."), ({}, "Not a valid choice."),
                             (GERMAN, "Keine gültige Auswahl.")):
        response = client.post("/account/language", data={"locale": "xx"}, headers=headers)

        assert response.status_code == 422
        assert message in response.get_data(as_text=True)


def test_the_json_api_stays_english_whatever_the_browser_asks(client):
    response = client.get("/api/v1/ideas/999999", headers=GERMAN)

    assert response.status_code == 404
    assert response.is_json
    assert '"code"' in response.get_data(as_text=True)
    assert "Keine" not in response.get_data(as_text=True)


# The language setting

def test_settings_offer_each_language_named_in_itself(client, auth, make_user):
    auth.login(make_user())

    page = client.get("/account/settings").get_data(as_text=True)

    assert 'action="/account/language"' in page
    assert 'value="de"' in page and "Deutsch" in page
    assert "The browser's language" in page


def test_a_member_chooses_german_and_the_next_page_is_german(app, client, auth, make_user, fetch):
    member = make_user()
    auth.login(member)

    response = client.post("/account/language", data={"locale": "de"})

    assert response.status_code == 303
    assert fetch(lambda: db.session.get(User, member.id).locale) == "de"
    page = client.get("/account/settings").get_data(as_text=True)
    assert "Ihre Sprache ist gespeichert." in page
    assert '<html lang="de">' in page


def test_choosing_the_browser_language_clears_the_setting(app, client, auth, make_user, fetch):
    member = make_user()
    set_locale(app, member, "de")
    auth.login(member)

    response = client.post("/account/language", data={"locale": ""})

    assert response.status_code == 303
    assert fetch(lambda: db.session.get(User, member.id).locale) is None


def test_an_unknown_language_is_refused_with_the_form_shown_again(client, auth, make_user, fetch):
    member = make_user()
    auth.login(member)

    response = client.post("/account/language", data={"locale": "xx"})

    assert response.status_code == 422
    assert 'id="language"' in response.get_data(as_text=True)
    assert fetch(lambda: db.session.get(User, member.id).locale) is None


def test_a_visitor_cannot_choose_a_language_setting(client):
    response = client.post("/account/language", data={"locale": "de"})

    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


# Emails

def test_a_notification_email_is_written_in_the_recipients_language(app, make_user, make_idea, smtp_server):
    from ideas.delivery import drain
    from ideas.following import follow_idea
    from ideas.statuses import change_status

    app.config.update(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    follower, english_follower = make_user(name="Greta"), make_user(name="Emma")
    staff = make_user(role="staff")
    set_locale(app, follower, "de")
    idea = make_idea(title="Dark mode")
    with app.app_context():
        for member in (follower, english_follower):
            follow_idea(db.session.get(User, member.id), db.session.get(Idea, idea.id))
        change_status(db.session.get(User, staff.id), db.session.get(Idea, idea.id), "planned", "Soon.")
        db.session.commit()
        drain()

    by_recipient = {message["To"]: message for message in smtp_server.messages}
    german, english = by_recipient[follower.email], by_recipient[english_follower.email]
    german_text = german.get_body(("plain",)).get_content()
    assert german["Subject"].endswith("„Dark mode“ ist jetzt „Geplant“")
    assert "Hallo Greta," in german_text
    assert "von „Neu“ auf „Geplant“ gesetzt: „Soon.“" in german_text
    assert "Sie erhalten diese E-Mail, weil Sie dieser Idee folgen." in german_text
    assert "Alle E-Mails abbestellen:" in german_text
    assert english["Subject"].endswith("“Dark mode” is now Planned")
    assert "Hello Emma," in english.get_body(("plain",)).get_content()


def test_an_account_email_follows_the_members_setting_not_the_request(app, client, make_user, smtp_server):
    app.config.update(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    member = make_user(name="Greta")
    set_locale(app, member, "de")

    response = client.post("/auth/forgot", data={"email": member.email}, headers={"Accept-Language": "en"})
    run_worker(app)

    assert response.status_code == 303
    [message] = smtp_server.messages
    assert message["Subject"] == "Passwort zurücksetzen"
    assert "Hallo Greta," in message.get_body(("plain",)).get_content()


def test_a_signed_out_visitor_gets_account_emails_in_the_browsers_language(app, client, make_user,
                                                                           smtp_server):
    app.config.update(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    member = make_user(name="Greta")

    client.post("/auth/forgot", data={"email": member.email}, headers=GERMAN)
    run_worker(app)

    [message] = smtp_server.messages
    assert message["Subject"] == "Passwort zurücksetzen"


def test_the_confirmation_of_a_new_language_is_already_in_it(client, auth, make_user):
    auth.login(make_user())

    client.post("/account/language", data={"locale": "de"}, headers={"Accept-Language": "en"})
    page = client.get("/account/settings", headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert "Ihre Sprache ist gespeichert." in page
