"""Similar ideas while typing a title, and the search behind them, on both databases."""
import pytest

from helpers import htmx_headers
from ideas.search import terms_of
from ideas.similar import similar_ideas
from flask_login import AnonymousUserMixin

ANONYMOUS = AnonymousUserMixin()

CORPUS = [
    ("Add a dark mode", "The white background hurts at night."),
    ("Dark theme for the mobile app", "Please bring the dark colours to iOS."),
    ("Export reports to CSV", "Monthly reports into spreadsheets."),
    ("Modem settings page", "Configure the modem from the app."),
    ("Offline mode for drivers", "No signal in the countryside."),
    ("Gift cards", "Customers keep asking."),
]


@pytest.fixture
def corpus(make_idea):
    """A fixed set of ideas to search."""
    return {title: make_idea(title=title, description=text) for title, text in CORPUS}


def similar_titles(app, text):
    with app.app_context():
        return [idea.title for idea in similar_ideas(text, ANONYMOUS)]


def test_dark_mode_please_finds_add_a_dark_mode(app, corpus):
    assert "Add a dark mode" in similar_titles(app, "dark mode please")


def test_similar_means_shared_stemmed_words_not_substrings(app, corpus):
    titles = similar_titles(app, "mode")

    assert "Add a dark mode" in titles
    assert "Modem settings page" not in titles  # "modem" merely contains "mode"


def test_stemming_matches_other_forms_of_a_word(app, corpus):
    assert "Export reports to CSV" in similar_titles(app, "exporting a report")


def test_most_relevant_idea_comes_first(app, corpus):
    assert similar_titles(app, "dark mode")[:1] == ["Add a dark mode"]


def test_at_most_five_similar_ideas(app, make_idea):
    for number in range(8):
        make_idea(title=f"Calendar sync problem {number}")

    assert len(similar_titles(app, "calendar")) == 5


def test_stop_words_and_punctuation_alone_find_nothing(app, corpus):
    assert similar_titles(app, "the and of !!! ???") == []


def test_merged_and_withdrawn_ideas_are_never_suggested(app, make_idea):
    from ideas.models import utcnow

    make_idea(title="Dark mode merged", status="merged")
    make_idea(title="Dark mode withdrawn", withdrawn_at=utcnow())

    assert similar_titles(app, "dark mode") == []


def test_similar_endpoint_answers_htmx_with_a_fragment(client, corpus):
    response = client.get("/ideas/similar?title=dark+mode+please",
                          headers=htmx_headers("similar-ideas"))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="similar-ideas"')
    assert "Add a dark mode" in body
    assert "New" in body and "0 votes" in body
    assert f'href="/ideas/{corpus["Add a dark mode"].id}"' in body


def test_similar_endpoint_without_htmx_is_a_page(client, corpus):
    body = client.get("/ideas/similar?title=dark+mode").get_data(as_text=True)

    assert "<html" in body
    assert "Add a dark mode" in body


def test_hostile_search_text_is_only_words(app, corpus):
    assert terms_of('dark" OR title:* NEAR(') == ["dark", "title", "near"]
    assert similar_titles(app, 'dark" OR * ) ( NEAR') != []


@pytest.mark.parametrize("query, expected", [
    ("dark", {"Add a dark mode", "Dark theme for the mobile app"}),
    ("reports", {"Export reports to CSV"}),
    ("dark mode", {"Add a dark mode", "Dark theme for the mobile app", "Offline mode for drivers"}),
    ("the", set()),
])
def test_board_search_finds_the_same_ideas_on_every_database(client, corpus, query, expected):
    body = client.get(f"/?q={query}").get_data(as_text=True)

    assert {title for title, _ in CORPUS if f">{title}</a>" in body} == expected
