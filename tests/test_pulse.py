"""The pulse: the loudest tags and words of the last 7/28/90 days, public activity only."""
import re
from datetime import timedelta

import pytest

from helpers import BOOSTED, htmx_headers
from ideas import pulse as pulse_module
from ideas.extensions import db
from ideas.models import Comment, Vote, utcnow
from ideas.pulse import pulse_of, recent_pulse, words_of
from ideas.site_settings import set_setting

API = "/api/v1"


@pytest.fixture(autouse=True)
def fresh_pulse(app):
    """Every request computes the pulse afresh (the cache has its own test)."""
    app.config["PULSE_CACHE_SECONDS"] = 0


@pytest.fixture
def talk(app, make_user):
    """Add activity to an idea: talk(idea, votes=2, comments=["…"], days_ago=0, **comment_flags)."""
    def add(idea, votes=0, comments=(), days_ago=0, **comment_columns):
        when = utcnow() - timedelta(days=days_ago)
        voters = [make_user() for _ in range(votes)]
        author = make_user()
        with app.app_context():
            db.session.add_all(Vote(user_id=voter.id, idea_id=idea.id, created_at=when) for voter in voters)
            db.session.add_all(Comment(idea_id=idea.id, author_id=author.id, body=body, body_html=body,
                                       created_at=when, **comment_columns) for body in comments)
            db.session.commit()

    return add


def compute(app, days=28):
    with app.app_context():
        return pulse_of(days)


def by_name(topics):
    return {topic.name: topic for topic in topics}


# The domain: what counts, and how much.

def test_a_tag_counts_the_ideas_votes_and_comments_of_the_window(app, make_idea, make_tag, talk):
    delivery = make_tag("delivery")
    idea = make_idea(title="Parcels arrive late", kind="problem", tags=[delivery])
    talk(idea, votes=3, comments=["Mine too", "Again today"])
    tag = by_name(compute(app).tags)["delivery"]
    assert (tag.ideas, tag.votes, tag.comments, tag.volume) == (1, 3, 2, 6)
    assert tag.by_kind == {"idea": 0, "problem": 6, "praise": 0}
    assert tag.main_kind == "problem"


def test_a_tag_splits_its_volume_by_kind_and_is_marked_by_the_loudest(app, make_idea, make_tag, talk):
    mobile = make_tag("mobile")
    talk(make_idea(title="An offline mode", kind="idea", tags=[mobile]), votes=1)
    talk(make_idea(title="The app crashes", kind="problem", tags=[mobile]), votes=3)
    tag = by_name(compute(app).tags)["mobile"]
    assert tag.by_kind == {"idea": 2, "problem": 4, "praise": 0}
    assert tag.main_kind == "problem"


def test_activity_before_the_window_is_left_out(app, make_idea, make_tag, talk):
    billing = make_tag("billing")
    idea = make_idea(title="Invoices in euros", tags=[billing], created_at=utcnow() - timedelta(days=40))
    talk(idea, votes=2, days_ago=40)
    talk(idea, votes=1, days_ago=3)
    assert by_name(compute(app, 28).tags)["billing"].volume == 1
    assert by_name(compute(app, 7).tags)["billing"].volume == 1
    assert by_name(compute(app, 90).tags)["billing"].volume == 4


@pytest.mark.parametrize("columns", [
    {"hidden_at": utcnow()}, {"awaiting_approval": True}, {"withdrawn_at": utcnow()}, {"status": "merged"},
], ids=["hidden", "awaiting_approval", "withdrawn", "merged"])
def test_ideas_not_on_the_board_never_count(app, make_idea, make_tag, talk, columns):
    secret = make_tag("secret")
    idea = make_idea(title="Quarterly roadmap leak", tags=[secret], **columns)
    talk(idea, votes=2, comments=["Quarterly numbers leak"])
    result = compute(app)
    assert result.tags == []
    assert "quarterly" not in by_name(result.terms)


@pytest.mark.parametrize("columns", [
    {"internal": True}, {"hidden_at": utcnow()}, {"deleted_at": utcnow()},
], ids=["internal_note", "hidden", "deleted"])
def test_comments_not_public_never_count(app, make_idea, make_tag, talk, columns):
    tag = make_tag("pricing")
    idea = make_idea(title="Cheaper plans", tags=[tag], created_at=utcnow() - timedelta(days=60))
    talk(idea, comments=["Competitor undercuts everyone"], **columns)
    result = compute(app)
    assert result.tags == []
    assert "competitor" not in by_name(result.terms)


def test_words_drop_english_and_german_stop_words_links_and_numbers():
    words = words_of("Please add the dark mode, bitte auch für die App! See https://example.com/x 2024")
    assert words == {"add", "dark", "mode", "app"}


def test_contractions_are_stop_words_whichever_apostrophe_is_typed():
    assert words_of("I don’t like it, it's slow; can't print") == {"slow", "print"}


def test_a_word_counts_each_row_that_mentions_it_once(app, make_idea, talk):
    idea = make_idea(title="Dark mode for the dashboard", kind="idea")
    talk(idea, votes=2, comments=["Dark dark dark, please", "The dashboard glares", "Export to Excel"])
    terms = by_name(compute(app).terms)
    # The idea, its two votes and its three comments all mention "dark" through the title.
    assert (terms["dark"].ideas, terms["dark"].votes, terms["dark"].comments) == (1, 2, 3)
    assert terms["excel"].volume == 1  # from a comment's body only
    assert terms["dark"].volume == terms["dashboard"].volume == 6
    assert "please" not in terms


def test_topics_come_loudest_first_and_are_sized_against_the_loudest(app, make_idea, make_tag, talk):
    loud, quiet = make_tag("loud"), make_tag("quiet")
    talk(make_idea(title="Loud one", tags=[loud]), votes=15)
    make_idea(title="Quiet one", tags=[quiet])
    tags = compute(app).tags
    assert [(tag.name, tag.volume, tag.size) for tag in tags] == [("loud", 16, 5), ("quiet", 1, 2)]


def test_a_quiet_window_has_no_topics(app, make_idea):
    make_idea(title="Long ago", created_at=utcnow() - timedelta(days=100))
    assert compute(app, 90).is_quiet


def test_the_pulse_is_cached_per_window_for_a_minute(app, make_idea):
    app.config["PULSE_CACHE_SECONDS"] = 60
    now = [1000.0]
    with app.app_context():
        first = recent_pulse(28, clock=lambda: now[0])
    make_idea(title="Brand new topic")
    with app.app_context():
        now[0] += 59
        assert recent_pulse(28, clock=lambda: now[0]) is first
        assert "topic" in by_name(recent_pulse(7, clock=lambda: now[0]).terms)  # another window
        now[0] += 2
        assert "topic" in by_name(recent_pulse(28, clock=lambda: now[0]).terms)


def test_words_come_from_a_bounded_sample_and_say_so(app, make_idea, talk, monkeypatch):
    monkeypatch.setattr(pulse_module, "IDEA_SAMPLE", 1)
    talk(make_idea(title="Louder topic"), votes=2)
    make_idea(title="Softer topic")
    result = compute(app)
    assert result.sampled
    assert "louder" in by_name(result.terms) and "softer" not in by_name(result.terms)


def test_the_pulse_costs_the_same_few_statements_however_much_was_said(app, make_idea, make_tag, talk,
                                                                       count_queries):
    tag = make_tag("busy")
    for number in range(5):
        talk(make_idea(title=f"Topic {number}", tags=[tag]), votes=2, comments=["More words here"])
    with count_queries() as statements:
        compute(app)
    # Besides the site's settings (which boards a visitor sees), read once per request anyway.
    assert len([sql for sql in statements if "FROM settings" not in sql]) == 2


# The page.

def test_the_page_shows_tags_and_words_with_counts_kinds_and_board_links(client, make_idea, make_tag, talk):
    talk(make_idea(title="Parcels arrive late", kind="problem", tags=[make_tag("delivery", "red")]),
         votes=2)
    response = client.get("/pulse")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="/?tag=delivery">#delivery</a>' in body
    assert re.search(r'class="pulse-tag pulse-kind-problem pulse-size-5">', body)
    assert "1 new idea · 2 votes · 0 comments" in body
    assert re.search(r'<a class="pulse-term kind-problem" href="/\?q=parcels">.*?parcels</bdi> <span '
                     r'class="pulse-volume">3</span>', body)
    assert 'href="/static/css/pulse.css"' in body


def test_the_page_offers_the_periods_in_a_plain_get_form(client):
    body = client.get("/pulse?days=7").get_data(as_text=True)
    assert '<form id="pulse-window" class="filters pulse-filters" method="get" action="/pulse"' in body
    assert '<option value="7" selected>Last 7 days</option>' in body
    assert "The last 7 days, updated" in body


@pytest.mark.parametrize("days", ["5", "abc", "", "28\x00", "99999999999999999999"])
def test_an_unknown_period_shows_the_default_28_days(client, days):
    body = client.get("/pulse", query_string={"days": days}).get_data(as_text=True)
    assert '<option value="28" selected>Last 28 days</option>' in body


def test_a_quiet_period_says_so(client):
    body = client.get("/pulse?days=7").get_data(as_text=True)
    assert "Nobody proposed, voted or commented in the last 7 days." in body


def test_the_board_polls_itself_every_minute_without_a_meta_refresh(client):
    body = client.get("/pulse?days=90").get_data(as_text=True)
    assert ('<div id="pulse-board" class="pulse-board" hx-get="/pulse?days=90" hx-trigger="every 60s" '
            'hx-swap="outerHTML">') in body
    assert 'http-equiv="refresh"' not in body
    assert '<a href="/pulse?days=90">Refresh</a>' in body


def test_the_poll_gets_the_board_only_and_announces_nothing(client):
    response = client.get("/pulse?days=7", headers=htmx_headers("pulse-board"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith("<div id=\"pulse-board\"") and "<html" not in body
    assert "announcer" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_choosing_a_period_with_htmx_announces_it(client):
    headers = {**htmx_headers("pulse-board"), "HX-Trigger": "pulse-window"}
    body = client.get("/pulse?days=90", headers=headers).get_data(as_text=True)
    assert '<div id="announcer" hx-swap-oob="innerHTML">The pulse shows the last 90 days.</div>' in body


@pytest.mark.parametrize("headers", [BOOSTED, htmx_headers("main")], ids=["boosted", "other_target"])
def test_other_htmx_requests_get_the_whole_page(client, headers):
    assert "<html" in client.get("/pulse", headers=headers).get_data(as_text=True)


def test_a_private_site_sends_visitors_to_sign_in(app, client, auth, make_user):
    with app.app_context():
        set_setting("private_mode", "1")
        db.session.commit()
    response = client.get("/pulse")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    auth.login(make_user())
    assert client.get("/pulse").status_code == 200


def test_staff_see_the_same_pulse_as_everyone(client, auth, make_user, make_idea, make_tag):
    make_idea(title="Hidden topic", tags=[make_tag("hush")], hidden_at=utcnow())
    auth.login(make_user(role="staff"))
    body = client.get("/pulse").get_data(as_text=True)
    assert "#hush" not in body and "hidden" not in re.findall(r'href="/\?q=(\w+)"', body)


# The API.

def test_the_api_answers_the_pulse_as_json(client, make_idea, make_tag, talk):
    talk(make_idea(title="Parcels arrive late", kind="problem", tags=[make_tag("delivery", "red")]),
         votes=1)
    response = client.get(f"{API}/pulse?days=7")
    data = response.get_json()
    assert response.status_code == 200
    assert data["days"] == 7 and data["sampled"] is False
    assert data["tags"] == [{
        "name": "delivery", "colour": "red", "volume": 2, "ideas": 1, "votes": 1, "comments": 0,
        "kinds": {"idea": 0, "problem": 2, "praise": 0}, "main_kind": "problem",
        "url": "http://localhost/?tag=delivery",
    }]
    assert {term["name"]: term["url"] for term in data["terms"]}["parcels"] == "http://localhost/?q=parcels"


@pytest.mark.parametrize("days", ["5", "seven", "2147483648"])
def test_the_api_refuses_an_unknown_period(client, days):
    response = client.get(f"{API}/pulse", query_string={"days": days})
    assert response.status_code == 422
    assert "days" in response.get_json()["error"]["fields"]


def test_the_api_of_a_private_site_needs_a_key(app, client):
    with app.app_context():
        set_setting("private_mode", "1")
        db.session.commit()
    assert client.get(f"{API}/pulse").status_code == 401

