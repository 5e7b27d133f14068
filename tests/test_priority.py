"""The priority score: computed by the worker from votes, importance, the revenue of the companies
behind an idea (each once), impact and effort, with the admins' weights; recomputed whenever one
of them changes, shown with its formula, sorted by in the inbox."""
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from ideas.companies import update_company
from ideas.errors import InvalidInput, NotAllowed
from ideas.extensions import db
from ideas.models import AuditEntry, Company, Idea, IdeaPriority, User
from ideas.priority import (
    DEFAULT_WEIGHTS, Inputs, Weights, current_weights, formula, recompute_all, score, set_impact_effort,
    set_weights,
)
from ideas.vote_importance import back_idea, set_importance
from ideas.voting import withdraw_vote


def stored(fetch, idea_id):
    """(score, due) of the idea's priority row."""
    return fetch(lambda: tuple(db.session.execute(
        select(IdeaPriority.score, IdeaPriority.due).where(IdeaPriority.idea_id == idea_id)).one()))


def recompute(app):
    with app.app_context():
        return recompute_all()


def act(app, rule, *ids, **kwargs):
    """Run `rule` on the rows named by (model, id) pairs, then commit."""
    with app.app_context():
        result = rule(*(db.session.get(model, row_id) for model, row_id in ids), **kwargs)
        db.session.commit()
        return result


# The formula.

def test_unset_impact_and_effort_count_as_the_middle_of_the_scale():
    inputs = Inputs(votes=4, importance=0, revenue=Decimal(0), impact=None, effort=None)

    assert score(inputs, DEFAULT_WEIGHTS) == round((4 + 3) / 3, 2)


def test_each_part_is_weighed_and_the_effort_divides():
    inputs = Inputs(votes=10, importance=5, revenue=Decimal(12_000), impact=4, effort=2)
    weights = Weights(votes=Decimal(1), importance=Decimal(2), revenue=Decimal("0.5"), impact=Decimal(3),
                      effort=Decimal(1))

    assert score(inputs, weights) == (10 + 5 * 2 + 12 * 0.5 + 4 * 3) / 2


def test_an_effort_weight_of_zero_leaves_effort_out():
    inputs = Inputs(votes=6, importance=0, revenue=Decimal(0), impact=1, effort=5)

    assert score(inputs, Weights(effort=Decimal(0))) == 7


def test_the_formula_names_every_weight(app):
    with app.test_request_context():
        text = formula(Weights(votes=Decimal(2), revenue=Decimal("0.25"), effort=Decimal("0.5")))

    assert text == ("Priority = (votes × 2 + importance points × 1 + revenue at stake ÷ 1,000 × 0.25 "
                    "+ impact × 1) ÷ effort^0.5")


# What makes a score due, and the worker computing it.

def test_a_new_idea_waits_for_the_worker_which_computes_its_score(app, make_idea, fetch):
    idea = make_idea()
    assert stored(fetch, idea.id) == (0.0, True)

    recompute(app)

    assert stored(fetch, idea.id) == (1.0, False)  # (0 votes + impact 3) ÷ effort 3


def test_a_vote_and_its_withdrawal_each_make_the_score_due(app, make_idea, make_user, fetch):
    idea, member = make_idea(), make_user()
    recompute(app)

    act(app, back_idea, (User, member.id), (Idea, idea.id))
    assert stored(fetch, idea.id)[1] is True
    recompute(app)
    assert stored(fetch, idea.id) == (round(4 / 3, 2), False)

    act(app, withdraw_vote, (User, member.id), (Idea, idea.id))
    assert stored(fetch, idea.id)[1] is True
    recompute(app)
    assert stored(fetch, idea.id) == (1.0, False)


def test_saying_an_idea_is_critical_raises_its_score(app, make_idea, make_user, fetch):
    idea, member = make_idea(), make_user()
    act(app, back_idea, (User, member.id), (Idea, idea.id))
    recompute(app)
    before = stored(fetch, idea.id)[0]

    act(app, set_importance, (User, member.id), (Idea, idea.id), importance="critical", note="")
    recompute(app)

    assert stored(fetch, idea.id)[0] == round(before + 3 / 3, 2)


def test_revenue_counts_each_backing_company_once(app, make_idea, make_user, make_company, fetch):
    idea, ada, bob = make_idea(), make_user(), make_user()
    make_company("Northwind", members=[ada, bob], plan="Enterprise", monthly_revenue="12000")
    for member in (ada, bob):
        act(app, back_idea, (User, member.id), (Idea, idea.id))

    recompute(app)

    assert stored(fetch, idea.id)[0] == round((2 + 12 + 3) / 3, 2)


def test_a_company_whose_revenue_changes_makes_its_members_ideas_due(app, make_idea, make_user, make_company,
                                                                    team_member, fetch):
    backed, other, ada = make_idea(), make_idea(), make_user()
    company = make_company("Northwind", members=[ada], monthly_revenue="3000")
    act(app, back_idea, (User, ada.id), (Idea, backed.id))
    recompute(app)

    act(app, update_company, (User, team_member.id), (Company, company.id), name=None,
        attributes={"monthly_revenue": "30000"})

    assert stored(fetch, backed.id)[1] is True and stored(fetch, other.id)[1] is False
    recompute(app)
    assert stored(fetch, backed.id)[0] == round((1 + 30 + 3) / 3, 2)


def test_impact_and_effort_set_by_staff_are_audited_and_recomputed(app, make_idea, team_member, fetch):
    idea = make_idea()
    recompute(app)

    changed = act(app, set_impact_effort, (User, team_member.id), (Idea, idea.id), impact="5", effort="1")
    recompute(app)

    assert changed is True
    assert stored(fetch, idea.id) == (5.0, False)
    assert fetch(lambda: [json.loads(entry.after) for entry in db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "idea.weighed")).scalars()]) == [
        {"impact": 5, "effort": 1}]


@pytest.mark.parametrize("impact", ["0", "6", "three", "2.5"])
def test_impact_outside_the_scale_is_refused(app, make_idea, team_member, impact):
    idea = make_idea()

    with pytest.raises(InvalidInput) as refused:
        act(app, set_impact_effort, (User, team_member.id), (Idea, idea.id), impact=impact, effort="")

    assert "impact" in refused.value.fields


def test_members_may_not_set_impact(app, make_idea, make_user):
    idea, member = make_idea(), make_user()

    with pytest.raises(NotAllowed):
        act(app, set_impact_effort, (User, member.id), (Idea, idea.id), impact="5", effort="1")


def test_new_weights_make_every_score_due_and_change_it(app, make_idea, make_user, fetch):
    admin, ideas = make_user(role="admin"), [make_idea(), make_idea()]
    recompute(app)

    act(app, set_weights, (User, admin.id), raw={"votes": "1", "importance": "1", "revenue": "1",
                                                  "impact": "3", "effort": "0"})

    assert all(stored(fetch, idea.id)[1] for idea in ideas)
    recompute(app)
    assert [stored(fetch, idea.id)[0] for idea in ideas] == [9.0, 9.0]


@pytest.mark.parametrize("raw, field", [({"votes": "-1"}, "votes"), ({"revenue": "many"}, "revenue"),
                                        ({"effort": "4"}, "effort"), ({"impact": "101"}, "impact")])
def test_weights_out_of_range_are_refused_naming_the_field(app, make_user, raw, field):
    admin = make_user(role="admin")
    weights = {"votes": "1", "importance": "1", "revenue": "1", "impact": "1", "effort": "1", **raw}

    with pytest.raises(InvalidInput) as refused:
        act(app, set_weights, (User, admin.id), raw=weights)

    assert list(refused.value.fields) == [field]


def test_only_admins_choose_the_weights(app, team_member):
    with pytest.raises(NotAllowed):
        act(app, set_weights, (User, team_member.id), raw={"votes": "2"})


# Pages.

def test_the_idea_page_shows_staff_the_score_term_by_term(client, auth, app, make_idea, team_member):
    idea = make_idea()
    recompute(app)
    auth.login(team_member)

    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert 'id="priority-score">1<' in page
    assert "impact (not set) × 1" in page and "effort 3 (not set)" in page


def test_members_do_not_see_the_priority(client, auth, make_idea, make_user):
    idea = make_idea()
    auth.login(make_user())

    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert 'id="priority"' not in page


def test_staff_set_impact_and_effort_on_the_idea_page(client, auth, make_idea, team_member, fetch):
    idea = make_idea()
    auth.login(team_member)

    response = client.post(f"/ideas/{idea.id}/priority", data={"impact": "4", "effort": "2"})

    assert response.status_code == 303 and response.location.endswith(f"/ideas/{idea.id}#priority")
    row = fetch(lambda: db.session.get(IdeaPriority, idea.id))
    assert (row.impact, row.effort) == (4, 2)


def test_a_bad_impact_comes_back_with_what_was_chosen(client, auth, make_idea, team_member, fetch):
    idea = make_idea()
    auth.login(team_member)

    response = client.post(f"/ideas/{idea.id}/priority", data={"impact": "9", "effort": "2"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Not a valid choice" in page
    assert '<option selected value="2">2</option>' in page
    assert fetch(lambda: db.session.get(IdeaPriority, idea.id).effort) is None


def test_a_member_cannot_set_impact(client, auth, make_idea, make_user, fetch):
    idea = make_idea()
    auth.login(make_user())

    response = client.post(f"/ideas/{idea.id}/priority", data={"impact": "5", "effort": "1"})

    assert response.status_code in (403, 404)
    assert fetch(lambda: db.session.get(IdeaPriority, idea.id).impact) is None


def test_the_weights_page_shows_the_formula_and_saves(client, auth, make_user, fetch):
    auth.login(make_user(role="admin"))
    assert "÷ effort" in client.get("/admin/priority").get_data(as_text=True)

    response = client.post("/admin/priority", data={"votes": "2", "importance": "1", "revenue": "0,5",
                                                    "impact": "1", "effort": "1"})

    assert response.status_code == 303
    assert fetch(current_weights) == Weights(votes=Decimal(2), revenue=Decimal("0.5"))


def test_bad_weights_come_back_as_typed(client, auth, make_user):
    auth.login(make_user(role="admin"))

    response = client.post("/admin/priority", data={"votes": "lots", "importance": "1", "revenue": "1",
                                                    "impact": "1", "effort": "1"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="lots"' in page and "Give a number from 0 to 100." in page


def test_staff_who_are_not_admins_cannot_open_the_weights(client, auth, team_member):
    auth.login(team_member)

    assert client.get("/admin/priority").status_code == 403


def test_the_inbox_sorts_by_priority_and_shows_the_formula(client, auth, app, make_idea, make_user,
                                                           team_member):
    quiet, wanted = make_idea(title="Quiet idea"), make_idea(title="Wanted idea")
    act(app, back_idea, (User, make_user().id), (Idea, wanted.id))
    recompute(app)
    auth.login(team_member)

    page = client.get("/staff/?sort=priority").get_data(as_text=True)

    assert page.index("Wanted idea") < page.index("Quiet idea")
    assert 'id="inbox-priority-formula">Priority = (votes × 1' in page
    assert f'id="inbox-{wanted.id}-priority">1.33<' in page and f'id="inbox-{quiet.id}-priority">1<' in page


# A vote racing the worker.

def test_a_vote_during_a_recompute_leaves_the_score_due_again(app, make_idea, make_user, fetch, monkeypatch):
    """The worker has cleared the idea's flag and is reading its votes when a vote arrives: the
    vote's mark waits for the worker's transaction and lands after it, so the score the worker
    stored from one vote is computed again with two (on SQLite the database lock serialises it)."""
    import threading

    from ideas import priority
    from ideas.database import writing

    idea, first, second = make_idea(), make_user(), make_user()
    act(app, back_idea, (User, first.id), (Idea, idea.id))
    reading, go = threading.Event(), threading.Event()
    read_inputs = priority.inputs_of

    def slow_inputs(idea_ids):
        reading.set()
        assert go.wait(10)
        return read_inputs(idea_ids)

    monkeypatch.setattr(priority, "inputs_of", slow_inputs)

    def worker():  # as the worker's loop runs it
        with app.app_context(), writing():
            priority.recompute_due()

    def voter():  # as a POST runs it
        with app.app_context(), writing():
            back_idea(db.session.get(User, second.id), db.session.get(Idea, idea.id))
            db.session.commit()

    threads = [threading.Thread(target=worker)]
    threads[0].start()
    assert reading.wait(10)
    threads.append(threading.Thread(target=voter))
    threads[1].start()
    threads[1].join(0.5)  # the vote waits for the worker's lock on the row it marks
    go.set()
    for thread in threads:
        thread.join(20)
    monkeypatch.setattr(priority, "inputs_of", read_inputs)

    assert stored(fetch, idea.id) == (round(4 / 3, 2), True)  # one vote counted, due again
    recompute(app)
    assert stored(fetch, idea.id) == (round(5 / 3, 2), False)


def test_the_worker_loop_recomputes_due_scores(app, make_idea, fetch):
    import threading
    import time

    from ideas.delivery import run_forever

    idea = make_idea()
    stop = threading.Event()
    loop = threading.Thread(target=run_forever, args=(app, 0.05, stop), daemon=True)

    loop.start()
    deadline = time.monotonic() + 10
    while stored(fetch, idea.id)[1] and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    loop.join(10)

    assert stored(fetch, idea.id) == (1.0, False)
