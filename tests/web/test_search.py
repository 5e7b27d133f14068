"""Board search: an idea needs one of the words, ideas matching more words come first."""
import pytest

from ideas.extensions import db
from ideas.models import Idea

from test_board import titles_in, vote_for

BOTH = "Dark mode for the mobile app too"  # dark, mode and please
DARK_MODE = "Add a dark mode"  # dark and mode
OFFLINE = "Offline mode for drivers"  # mode


@pytest.fixture
def dark_mode_ideas(app, make_idea, make_user):
    """The demo board's two dark-mode ideas, one more word apart, the one with fewer words the
    most backed, and ideas sharing one word or none."""
    make_idea(title=BOTH, description="Please bring the dark theme to iOS and Android.")
    vote_for(app, make_idea(title=DARK_MODE, description="Hard on the eyes at night."),
             [make_user() for _ in range(3)])
    vote_for(app, make_idea(title=OFFLINE, description="No signal in the countryside."),
             [make_user() for _ in range(5)])
    make_idea(title="Export reports to CSV", description="Monthly reports into spreadsheets.")


def stored_titles(app):
    """Every idea's title in the database, to show a search changed nothing."""
    with app.app_context():
        return sorted(db.session.execute(db.select(Idea.title)).scalars())


def test_an_idea_matching_some_of_the_words_is_found_below_those_matching_more(app, client, dark_mode_ideas):
    response = client.get("/?q=dark+mode+please&sort=top")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert titles_in(body, BOTH, DARK_MODE, OFFLINE, "Export reports to CSV") == [BOTH, DARK_MODE, OFFLINE]
    assert len(stored_titles(app)) == 4


def test_the_api_finds_the_same_ideas_in_the_same_order(client, dark_mode_ideas):
    response = client.get("/api/v1/ideas?q=dark+mode+please&sort=top")

    assert response.status_code == 200
    assert [idea["title"] for idea in response.get_json()["ideas"]] == [BOTH, DARK_MODE, OFFLINE]


def test_the_chosen_sort_orders_ideas_matching_as_many_words(app, client, make_idea, make_user):
    make_idea(title="Dark mode for reports")
    vote_for(app, make_idea(title="Dark mode for invoices"), [make_user() for _ in range(2)])
    make_idea(title="Dark mode for invoices and reports")

    body = client.get("/?q=dark+invoices+reports&sort=top").get_data(as_text=True)

    assert titles_in(body, "Dark mode for reports", "Dark mode for invoices",
                     "Dark mode for invoices and reports") == [
        "Dark mode for invoices and reports", "Dark mode for invoices", "Dark mode for reports"]


def test_pages_follow_the_order_of_words_matched(app, client, dark_mode_ideas):
    app.config["IDEAS_PER_PAGE"] = 1

    pages = [client.get(f"/?q=dark+mode+please&sort=top&page={number}").get_data(as_text=True)
             for number in (1, 2, 3, 4)]

    assert [titles_in(page, BOTH, DARK_MODE, OFFLINE) for page in pages] == [
        [BOTH], [DARK_MODE], [OFFLINE], []]


def test_a_query_with_no_matching_word_finds_nothing(app, client, dark_mode_ideas):
    response = client.get("/?q=teleportation+warp")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No ideas match “teleportation warp”" in body
    assert titles_in(body, BOTH, DARK_MODE, OFFLINE, "Export reports to CSV") == []
    assert len(stored_titles(app)) == 4


@pytest.fixture
def polite_board(make_idea, monkeypatch):
    """Ideas where "please" and "fix" are common words (in three ideas each, here) but only two
    ideas have both."""
    monkeypatch.setattr("ideas.search.COMMON_MIN", 3)
    make_idea(title="Please add a dark mode", description="It glares at night.")
    make_idea(title="Please fix invoices", description="The totals are wrong.")
    make_idea(title="Please fix the export", description="It times out.")
    make_idea(title="Fix the calendar sync", description="Events appear twice.")
    make_idea(title="Dark theme for reports", description="Charts glare at night.")
    make_idea(title="Offline mode", description="No signal.")


def test_a_common_word_finds_nothing_by_itself_beside_rarer_ones(client, polite_board):
    body = client.get("/?q=dark+please").get_data(as_text=True)

    assert titles_in(body, "Please add a dark mode", "Dark theme for reports", "Please fix invoices",
                     "Please fix the export") == ["Please add a dark mode", "Dark theme for reports"]


def test_a_common_word_alone_finds_its_ideas(client, polite_board):
    body = client.get("/?q=please&sort=new").get_data(as_text=True)

    assert titles_in(body, "Please add a dark mode", "Please fix invoices", "Please fix the export",
                     "Dark theme for reports") == ["Please fix the export", "Please fix invoices",
                                                   "Please add a dark mode"]


def test_common_words_alone_are_all_needed(client, polite_board):
    body = client.get("/?q=please+fix&sort=new").get_data(as_text=True)

    assert titles_in(body, "Please add a dark mode", "Please fix invoices", "Please fix the export",
                     "Fix the calendar sync") == ["Please fix the export", "Please fix invoices"]
