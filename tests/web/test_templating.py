"""Dates on pages: relative words, with the exact time in the reader's time zone on hover."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from ideas.extensions import db
from ideas.models import User
from ideas.web.templating import exact_time, relative_time

NOW = datetime(2026, 11, 30, 14, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize(("ago", "words"), [
    (timedelta(seconds=10), "just now"),
    (timedelta(minutes=1), "1 minute ago"),
    (timedelta(minutes=59), "59 minutes ago"),
    (timedelta(hours=5), "5 hours ago"),
    (timedelta(days=1), "1 day ago"),
    (timedelta(days=3), "3 days ago"),
    (timedelta(days=14), "2 weeks ago"),
    (timedelta(days=65), "2 months ago"),
    (timedelta(days=800), "2 years ago"),
    (timedelta(seconds=-30), "just now"),
])
def test_relative_time_says_how_long_ago_in_words(ago, words):
    assert relative_time(NOW - ago, now=NOW) == words


def test_exact_time_names_the_day_and_the_zone():
    assert exact_time(NOW) == "Monday 30 November 2026, 14:05 UTC"


def test_a_visitor_sees_relative_dates_with_the_exact_utc_time_on_hover(client, make_idea):
    idea = make_idea(title="Dated idea")

    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    tag = re.search(r'Proposed by .*?(<time [^>]+>[^<]+</time>)', page, re.S).group(1)
    assert re.fullmatch(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00" '
                        r'title="\w+day \d{1,2} \w+ \d{4}, \d\d:\d\d UTC">just now</time>', tag)


def test_a_member_sees_the_exact_time_in_their_own_zone(app, client, auth, make_user, make_idea):
    member = make_user()
    with app.app_context():
        db.session.get(User, member.id).timezone = "Asia/Tokyo"
        db.session.commit()
    idea = make_idea(title="Dated idea")
    auth.login(member)

    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    title = re.search(r'Proposed by .*?<time datetime="[^"]+" title="([^"]+)"', page, re.S).group(1)
    assert title.endswith(" JST")


def test_an_unknown_zone_falls_back_to_utc(app, client, auth, make_user, make_idea):
    member = make_user()
    with app.app_context():
        db.session.get(User, member.id).timezone = "Mars/Olympus_Mons"
        db.session.commit()
    idea = make_idea(title="Dated idea")
    auth.login(member)

    response = client.get(f"/ideas/{idea.id}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'Proposed by .*?<time datetime="[^"]+" title="[^"]+ UTC"', page, re.S)
