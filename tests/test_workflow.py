"""Statuses admins define (ideas/status_list.py, ideas/workflow.py): the default six read as before;
a status admins add is offered, shown, filtered, exported and named by its key everywhere, and its
category carries the rules (voting, the reason to close, shipping in a changelog entry)."""
import json

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from ideas.changelog import create_entry, publish_entry
from ideas.errors import InvalidInput, NotAllowed, VotingClosed
from ideas.extensions import db
from ideas.models import Idea, User
from ideas.status_list import DEFAULTS, label, statuses
from ideas.statuses import change_status
from ideas.voting import cast_vote
from ideas.workflow import archive_status, create_status, delete_status, move_status, update_status

BETA = {"key": "beta", "label_en": "Beta", "label_de": "Beta-Test", "category": "in_progress",
        "colour": "purple", "symbol": "β", "on_roadmap": "y"}


@pytest.fixture
def beta(app, admin):
    """The custom status "beta" (in progress, on the roadmap)."""
    with app.test_request_context():
        create_status(db.session.get(User, admin.id), BETA)
        db.session.commit()
    return "beta"


def _act(app, rule, *args):
    with app.test_request_context():
        result = rule(*args)
        db.session.commit()
        return result


def test_the_default_statuses_are_todays_six(app):
    with app.test_request_context():
        assert [status.key for status in statuses()] == [
            "open", "under_review", "planned", "in_progress", "shipped", "declined"]
        assert statuses() == DEFAULTS


def test_the_default_labels_follow_the_readers_language(app):
    with app.test_request_context():
        assert label("shipped") == "Shipped"
        with force_locale("de"):
            assert label("shipped") == "Umgesetzt"


def test_staff_move_an_idea_to_a_status_admins_added(app, admin, beta, make_idea):
    idea = make_idea()
    _act(app, lambda: change_status(db.session.get(User, admin.id), db.session.get(Idea, idea.id), beta, ""))
    with app.app_context():
        assert db.session.get(Idea, idea.id).status == "beta"


def test_a_new_status_has_its_label_per_language(app, beta):
    with app.test_request_context():
        assert label(beta) == "Beta"
        with force_locale("de"):
            assert label(beta) == "Beta-Test"


def test_a_closed_status_needs_a_public_reason(app, admin, make_idea):
    idea = make_idea()
    with app.test_request_context():
        create_status(db.session.get(User, admin.id), {"key": "wont_do", "label_en": "Won't do",
                                                       "category": "closed"})
        db.session.commit()
        with pytest.raises(InvalidInput) as refused:
            change_status(db.session.get(User, admin.id), db.session.get(Idea, idea.id), "wont_do", "")
    assert "note" in refused.value.fields


def test_voting_closes_in_a_done_status(app, admin, make_idea, make_user):
    with app.test_request_context():
        create_status(db.session.get(User, admin.id), {"key": "released", "label_en": "Released",
                                                       "category": "done"})
        db.session.commit()
    idea = make_idea(status="released")
    member = make_user()
    with app.test_request_context(), pytest.raises(VotingClosed):
        cast_vote(db.session.get(User, member.id), db.session.get(Idea, idea.id))


def test_voting_stays_open_in_an_in_progress_status(app, beta, make_idea, make_user, fetch):
    idea = make_idea(status=beta)
    member = make_user()
    _act(app, lambda: cast_vote(db.session.get(User, member.id), db.session.get(Idea, idea.id)))
    assert fetch(lambda: db.session.get(Idea, idea.id).vote_count) == 1


def test_a_changelog_entry_ships_into_the_first_done_status(app, admin, make_idea):
    with app.test_request_context():
        actor = db.session.get(User, admin.id)
        create_status(actor, {"key": "released", "label_en": "Released", "category": "done"})
        move_status(actor, "released", -10)  # before "shipped"
        db.session.commit()
    idea = make_idea(status="planned")
    with app.test_request_context():
        actor = db.session.get(User, admin.id)
        entry = create_entry(actor, "Spring release", "Better.", [idea.id])
        publish_entry(actor, entry, mark_shipped=True)
        db.session.commit()
        assert db.session.get(Idea, idea.id).status == "released"


def test_the_category_of_a_status_in_use_cannot_change(app, admin, beta, make_idea):
    make_idea(status=beta)
    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        update_status(db.session.get(User, admin.id), beta, {**BETA, "category": "done"})
    assert "category" in refused.value.fields


def test_renaming_a_status_changes_its_label_not_its_key(app, admin, beta, make_idea):
    idea = make_idea(status=beta)
    with app.test_request_context():
        assert update_status(db.session.get(User, admin.id), beta, {**BETA, "label_en": "Early access"})
        db.session.commit()
        assert label(beta) == "Early access"
        assert db.session.get(Idea, idea.id).status == "beta"


def test_an_archived_status_is_not_offered_but_ideas_keep_it(app, admin, beta, make_idea):
    idea = make_idea(status=beta)
    with app.test_request_context():
        archive_status(db.session.get(User, admin.id), beta)
        db.session.commit()
        with pytest.raises(InvalidInput):
            change_status(db.session.get(User, admin.id), db.session.get(Idea, idea.id), "beta", "")
        assert db.session.get(Idea, idea.id).status == "beta" and label(beta) == "Beta"


def test_a_status_in_use_cannot_be_removed(app, admin, beta, make_idea):
    make_idea(status=beta)
    with app.test_request_context(), pytest.raises(NotAllowed):
        delete_status(db.session.get(User, admin.id), beta)


def test_a_status_nobody_used_can_be_removed(app, admin, beta):
    _act(app, lambda: delete_status(db.session.get(User, admin.id), beta))
    with app.test_request_context():
        assert "beta" not in [status.key for status in statuses()]


@pytest.mark.parametrize("fields, field", [
    ({"key": "Beta!", "label_en": "Beta"}, "key"),
    ({"key": "planned", "label_en": "Planned"}, "key"),
    ({"key": "merged", "label_en": "Merged"}, "key"),
    ({"key": "beta"}, "label_en"),
    ({"key": "beta", "label_en": "Beta", "category": "someday"}, "category"),
    ({"key": "beta", "label_en": "Beta", "colour": "pink"}, "colour"),
    ({"key": "beta", "label_en": "x" * 41}, "label_en"),
])
def test_a_status_with_bad_fields_is_refused_by_field(app, admin, fields, field):
    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        create_status(db.session.get(User, admin.id), fields)
    assert field in refused.value.fields


def test_members_and_staff_may_not_define_statuses(app, make_user):
    for role in ("member", "staff"):
        person = make_user(role=role)
        with app.test_request_context(), pytest.raises(NotAllowed):
            create_status(db.session.get(User, person.id), BETA)


def test_the_roadmap_shows_a_status_admins_put_on_it(client, beta, make_idea):
    make_idea(title="In beta now", status=beta)
    page = client.get("/roadmap").get_data(as_text=True)
    assert 'id="roadmap-beta-heading"' in page and "In beta now" in page


def test_the_board_filters_by_a_status_admins_added(client, beta, make_idea):
    make_idea(title="In beta now", status=beta)
    make_idea(title="Still new")
    page = client.get("/?status=beta").get_data(as_text=True)
    assert "In beta now" in page and "Still new" not in page
    assert '<option value="beta"' in client.get("/").get_data(as_text=True)


def test_the_api_and_its_document_name_a_status_by_its_key(client, beta, make_idea):
    make_idea(title="In beta now", status=beta)
    listed = client.get("/api/v1/ideas?status=beta").get_json()
    assert [idea["status"] for idea in listed["ideas"]] == ["beta"]
    assert listed["ideas"][0]["status_label"] == "Beta"
    document = client.get("/api/v1/openapi.json").get_json()
    assert "beta" in document["components"]["schemas"]["Idea"]["properties"]["status"]["enum"]
    keys = [status["key"] for status in client.get("/api/v1/statuses").get_json()["statuses"]]
    assert keys[-1] == "beta" and keys[0] == "open"


def test_the_badge_has_the_admins_symbol_and_colour(client, beta, make_idea):
    idea = make_idea(status=beta)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert ('<span class="badge status status-cat-in_progress status-own-symbol status-colour-purple">'
            '<span class="status-symbol" aria-hidden="true">β</span>Beta</span>') in page


def test_the_change_is_audited(app, beta):
    from ideas.models import AuditEntry
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(
            AuditEntry.action == "settings.statuses_changed")).scalar_one()
        assert "beta" in json.loads(entry.after)["statuses"]
