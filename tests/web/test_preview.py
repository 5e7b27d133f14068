"""The Markdown preview: the same sanitiser as posting, with htmx beside the editor and without
JavaScript as the form's own "Preview" button, which saves nothing and keeps what was typed."""
import pytest
from sqlalchemy import func, select

from helpers import htmx_headers
from ideas.extensions import db
from ideas.models import Comment


@pytest.fixture
def member(auth, make_user):
    member = make_user(name="Pia Previewer")
    auth.login(member)
    return member


def test_the_preview_renders_markdown_through_the_sanitiser(client, member):
    response = client.post("/preview", data={"field": "body", "body": "**bold** <script>alert(1)</script>"},
                           headers=htmx_headers("comment-preview"))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>bold</strong>" in body
    assert "<script" not in body


def test_an_empty_preview_says_there_is_nothing_yet(client, member):
    response = client.post("/preview", data={"field": "body", "body": "  "})

    assert "Nothing to preview yet." in response.get_data(as_text=True)


def test_previewing_a_comment_without_javascript_saves_nothing_and_keeps_the_text(
        app, client, member, make_idea):
    idea = make_idea()

    response = client.post(f"/ideas/{idea.id}/comments", data={"body": "A *draft* thought", "preview": "1"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="comment-preview"' in page and "A <em>draft</em> thought" in page
    assert "A *draft* thought</textarea>" in page
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Comment)).scalar_one() == 0


def test_the_comment_form_offers_a_preview_button(client, member, make_idea):
    idea = make_idea()

    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert 'name="preview" value="1"' in page and 'hx-post="/preview"' in page
