"""The accountability record: what answers, decides and ships an idea (declared per event kind),
the figures by month over the boards a reader may see, the promise and the ideas waiting past it."""
from collections import Counter
from datetime import timedelta

import flask_migrate
import pytest

from ideas.accountability import figures_of, median_of, month_keys, recent_figures, waiting_past
from ideas.answer_promise import promise_days, set_promise
from ideas.boards import create_board
from ideas.comments import add_comment
from ideas.errors import InvalidInput, NotAllowed
from ideas.extensions import db
from ideas.merging import merge_ideas
from ideas.models import AuditEntry, Comment, Idea, User, utcnow
from ideas.statuses import change_status
from ideas.visibility import VISITOR, board_scope
from ideas.workflow import create_status
from sqlalchemy import select


@pytest.fixture
def staff(team_member):
    """A member of the team."""
    return team_member


def _record(fetch, idea_id):
    """(first_response_at, decided_at, shipped_at) of the idea, as stored."""
    return fetch(lambda: (lambda idea: (idea.first_response_at, idea.decided_at, idea.shipped_at))(
        db.session.get(Idea, idea_id)))


def _act(app, action):
    """Run `action(get)` in a request context, `get(Model, id)` loading rows, and commit."""
    with app.test_request_context():
        action(lambda model, row_id: db.session.get(model, row_id))
        db.session.commit()


def test_a_staff_status_change_answers_and_decides(app, make_idea, staff, fetch):
    idea = make_idea()
    _act(app, lambda get: change_status(get(User, staff.id), get(Idea, idea.id), "planned"))

    answered, decided, shipped = _record(fetch, idea.id)
    assert answered is not None and decided == answered and shipped is None


def test_under_review_answers_without_deciding(app, make_idea, staff, fetch):
    idea = make_idea()
    _act(app, lambda get: change_status(get(User, staff.id), get(Idea, idea.id), "under_review"))

    answered, decided, _ = _record(fetch, idea.id)
    assert answered is not None and decided is None


def test_an_official_response_answers_without_deciding(app, make_idea, staff, fetch):
    idea = make_idea()
    _act(app, lambda get: add_comment(get(User, staff.id), get(Idea, idea.id), "Looking.", official=True))

    answered, decided, _ = _record(fetch, idea.id)
    assert answered is not None and decided is None


def test_a_members_comment_does_not_answer_but_a_staff_reply_does(app, make_idea, make_user, staff, fetch):
    idea, member = make_idea(), make_user()
    _act(app, lambda get: add_comment(get(User, member.id), get(Idea, idea.id), "Me too"))
    assert _record(fetch, idea.id)[0] is None

    question = fetch(lambda: db.session.execute(select(Comment.id)).scalar_one())
    _act(app, lambda get: add_comment(get(User, staff.id), get(Idea, idea.id), "Noted.",
                                      parent=get(Comment, question)))
    assert _record(fetch, idea.id)[0] is not None


def test_an_internal_note_does_not_answer(app, make_idea, staff, fetch):
    idea = make_idea()
    _act(app, lambda get: add_comment(get(User, staff.id), get(Idea, idea.id), "Ask sales.", internal=True))

    assert _record(fetch, idea.id)[0] is None


def test_a_staff_comment_answers(app, make_idea, staff, fetch):
    idea = make_idea()
    _act(app, lambda get: add_comment(get(User, staff.id), get(Idea, idea.id), "Thanks!"))

    assert _record(fetch, idea.id)[0] is not None


def test_the_first_answer_and_decision_stay(app, make_idea, staff, fetch):
    idea = make_idea()
    _act(app, lambda get: change_status(get(User, staff.id), get(Idea, idea.id), "planned"))
    first = _record(fetch, idea.id)
    _act(app, lambda get: change_status(get(User, staff.id), get(Idea, idea.id), "shipped"))

    answered, decided, shipped = _record(fetch, idea.id)
    assert (answered, decided) == first[:2] and shipped is not None and shipped >= decided


def test_a_custom_status_decides_by_its_category(app, make_idea, admin, staff, fetch):
    with app.test_request_context():
        actor = db.session.get(User, admin.id)
        create_status(actor, {"key": "beta", "label_en": "Beta", "category": "in_progress"})
        create_status(actor, {"key": "triaged", "label_en": "Triaged", "category": "under_review"})
        create_status(actor, {"key": "released", "label_en": "Released", "category": "done"})
        db.session.commit()
    beta, triaged, released = make_idea(), make_idea(), make_idea()
    for idea, status in ((beta, "beta"), (triaged, "triaged"), (released, "released")):
        _act(app, lambda get, idea=idea, status=status: change_status(get(User, staff.id), get(Idea, idea.id),
                                                                       status))

    assert _record(fetch, beta.id)[1] is not None and _record(fetch, beta.id)[2] is None
    assert _record(fetch, triaged.id)[0] is not None and _record(fetch, triaged.id)[1] is None
    assert _record(fetch, released.id)[2] is not None


def test_merging_a_duplicate_answers_it(app, make_idea, staff, fetch):
    duplicate, survivor = make_idea(), make_idea(title="Night mode")
    _act(app, lambda get: merge_ideas(get(User, staff.id), get(Idea, duplicate.id), get(Idea, survivor.id)))

    assert _record(fetch, duplicate.id)[0] is not None


# The figures

def test_the_median_of_counted_values():
    assert median_of(Counter()) is None
    assert median_of(Counter({5: 1})) == 5
    assert median_of(Counter({1: 1, 3: 1})) == 2
    assert median_of(Counter({1: 2, 10: 1})) == 1


def test_figures_count_each_month_from_the_stored_times(app, make_idea, make_user, fetch):
    now = utcnow()
    customer, teammate = make_user(), make_user(role="staff")
    proposed = now - timedelta(days=100)
    make_idea(author=customer, created_at=proposed, first_response_at=proposed + timedelta(days=2),
              decided_at=proposed + timedelta(days=10), shipped_at=now)
    make_idea(author=teammate, created_at=proposed, first_response_at=proposed + timedelta(days=4),
              decided_at=proposed + timedelta(days=60), shipped_at=now)
    make_idea(author=customer, created_at=proposed)  # never answered
    make_idea(author=customer, created_at=now - timedelta(days=3))  # too young to judge

    figures = fetch(lambda: figures_of(None, 14, now=now))
    months = {month.key: month for month in figures.months}
    then = months[f"{proposed:%Y-%m}"]
    assert (then.proposed, then.answered, then.median_hours) == (3, 2, 72)
    assert (then.judged[30], then.decided[30], then.judged[90], then.decided[90]) == (3, 1, 3, 2)
    assert (then.promise_judged, then.promise_kept) == (3, 2)
    shipped_now = months[f"{now:%Y-%m}"]
    assert (shipped_now.shipped, shipped_now.shipped_from_customers) == (2, 1)
    assert figures.total.proposed == 4 and figures.total.judged[30] == 3
    assert [month.key for month in figures.months] == month_keys(now)


def test_figures_leave_out_what_the_reader_may_not_see(app, make_idea, admin, fetch):
    with app.test_request_context():
        board = create_board(db.session.get(User, admin.id),
                             {"name": "Team only", "slug": "team-only", "access": "staff"})
        db.session.commit()
        board_id = board.id
    make_idea(title="On the main board")
    make_idea(title="On the team's board", board_id=board_id)
    make_idea(title="Hidden", hidden_at=utcnow())

    with app.test_request_context():
        assert figures_of(board_scope(VISITOR)).total.proposed == 1
        assert figures_of(None).total.proposed == 2
        assert figures_of(frozenset({board_id})).total.proposed == 1


def test_figures_are_kept_for_a_minute(app, make_idea, fetch):
    ticks = iter([0.0, 30.0, 61.0])
    make_idea()
    with app.test_request_context():
        first = recent_figures(None, None, clock=lambda: next(ticks))
    make_idea()
    with app.test_request_context():
        assert recent_figures(None, None, clock=lambda: next(ticks)) is first
        assert recent_figures(None, None, clock=lambda: next(ticks)).total.proposed == 2


# The promise

def test_the_waiting_list_holds_public_unanswered_ideas_past_the_promise(app, make_idea, fetch):
    now = utcnow()
    late = make_idea(title="Late", created_at=now - timedelta(days=20))
    make_idea(title="Later still", created_at=now - timedelta(days=30))
    make_idea(title="Answered", created_at=now - timedelta(days=20),
              first_response_at=now - timedelta(days=19))
    make_idea(title="Young", created_at=now - timedelta(days=5))
    make_idea(title="Hidden", created_at=now - timedelta(days=20), hidden_at=now)

    with app.test_request_context():
        waiting, total = waiting_past(14, None, now=now)
        assert [idea.title for idea in waiting] == ["Later still", "Late"] and total == 2
        shortened, total = waiting_past(14, None, now=now, limit=1)
        assert [idea.title for idea in shortened] == ["Later still"] and total == 2
    assert late.id in fetch(lambda: [row.id for row in waiting_past(14, None, now=now)[0]])


def test_admins_state_the_promise_and_the_audit_log_keeps_it(app, admin, fetch):
    with app.test_request_context():
        assert promise_days() is None
        assert set_promise(db.session.get(User, admin.id), " 14 ") == 14
        db.session.commit()
    assert fetch(promise_days) == 14
    entry = fetch(lambda: db.session.execute(select(AuditEntry.action, AuditEntry.after)).one())
    assert entry[0] == "settings.promise_changed" and '"days": 14' in entry[1]
    with app.test_request_context():
        assert set_promise(db.session.get(User, admin.id), "") is None
        db.session.commit()
    assert fetch(promise_days) is None


@pytest.mark.parametrize("typed", ["0", "366", "two", "-3", "1.5", "²", "9" * 40])
def test_a_promise_must_be_a_whole_number_of_days(app, admin, typed):
    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        set_promise(db.session.get(User, admin.id), typed)
    assert "days" in refused.value.fields


def test_only_admins_state_the_promise(app, staff):
    with app.test_request_context(), pytest.raises(NotAllowed):
        set_promise(db.session.get(User, staff.id), "14")


# The migration's backfill

def test_the_migration_fills_in_what_the_history_says(app, make_idea, make_user, staff, fetch):
    answered_by_comment, decided, untouched = make_idea(), make_idea(), make_idea()
    member = make_user()
    _act(app, lambda get: add_comment(get(User, member.id), get(Idea, untouched.id), "Me too"))
    _act(app, lambda get: add_comment(get(User, staff.id), get(Idea, answered_by_comment.id), "Thanks"))
    _act(app, lambda get: change_status(get(User, staff.id), get(Idea, decided.id), "shipped"))
    before = {idea.id: _record(fetch, idea.id) for idea in (answered_by_comment, decided, untouched)}

    with app.app_context():
        flask_migrate.downgrade(revision="0026")
        flask_migrate.upgrade()

    after = {idea_id: _record(fetch, idea_id) for idea_id in before}
    for idea_id, moments in before.items():  # the history's own times: the events' rows, written just before
        assert all((old is None) == (new is None) and (old is None or abs(new - old) < timedelta(seconds=1))
                   for old, new in zip(moments, after[idea_id], strict=True))
    assert after[answered_by_comment.id][0] is not None and after[answered_by_comment.id][1] is None
    assert after[decided.id][1] is not None and after[decided.id][2] is not None
    assert after[untouched.id] == (None, None, None)
