"""`flask --app ideas check`: each invariant broken on purpose is reported (exit 1), `--repair`
fixes what the rows say how to fix and says what, and a sound database passes (exit 0)."""
import pytest
from sqlalchemy import func, select, update

from ideas.comments import add_comment
from ideas.extensions import db
from ideas.merging import merge_ideas, undo_merge
from ideas.models import Follow, Idea, Merge, MergeLedgerRow, User, Vote, utcnow
from ideas.voting import cast_vote, trending_score


def act(app, function, *ids, **extra):
    """Run a domain rule on freshly loaded rows, as a request would, and commit."""
    with app.app_context():
        result = function(*(db.session.get(model, id_) for model, id_ in ids), **extra)
        db.session.commit()
        return result


def corrupt(app, statement):
    """Break the database behind the rules' back, as a bug or a bad restore would."""
    with app.app_context():
        db.session.execute(statement, execution_options={"synchronize_session": False})
        db.session.commit()


@pytest.fixture
def world(app, make_user, make_idea):
    """Two ideas and a third merged into the second, with votes, a comment and followers."""
    staff, first, second = make_user(role="staff"), make_user(), make_user()
    kept, survivor, duplicate = make_idea(), make_idea(title="Night mode"), make_idea(title="Dark theme")
    for member in (first, second):
        act(app, cast_vote, (User, member.id), (Idea, kept.id))
    act(app, cast_vote, (User, first.id), (Idea, duplicate.id))
    act(app, add_comment, (User, second.id), (Idea, kept.id), body="Yes please")
    act(app, merge_ideas, (User, staff.id), (Idea, duplicate.id), (Idea, survivor.id))
    return dict(staff=staff, first=first, second=second, kept=kept, survivor=survivor,
                duplicate=duplicate)


def check(runner, *args):
    """(exit code, output) of `flask check`."""
    result = runner.invoke(args=["check", *args])
    return result.exit_code, result.output


def test_a_sound_database_passes(runner, world):
    assert check(runner) == (0, "All invariants hold.\n")


def test_an_empty_database_passes(runner):
    assert check(runner) == (0, "All invariants hold.\n")


@pytest.mark.parametrize("column, value, shown", [
    ("vote_count", 7, "[vote_count] idea #{kept}: stored 7, but it has 2 vote rows"),
    ("comment_count", 3, "[comment_count] idea #{kept}: stored 3, but it has 1 public comments"),
])
def test_a_count_that_differs_from_its_rows_is_reported_and_repaired(app, runner, fetch, world, column,
                                                                      value, shown):
    kept = world["kept"].id
    corrupt(app, update(Idea).where(Idea.id == kept).values({column: value}))

    code, output = check(runner)
    assert code == 1
    assert shown.format(kept=kept) in output
    assert "1 repairable: run `flask --app ideas check --repair`" in output

    code, output = check(runner, "--repair")
    assert code == 0
    assert f"Repaired: idea #{kept}: {column} set from {value} to " in output
    assert output.endswith("All invariants hold.\n")
    assert fetch(lambda: getattr(db.session.get(Idea, kept), column)) == {"vote_count": 2,
                                                                          "comment_count": 1}[column]


def test_a_trending_score_that_differs_from_the_vote_count_is_repaired(app, runner, fetch, world):
    kept = world["kept"].id
    corrupt(app, update(Idea).where(Idea.id == kept).values(trending_score=99.0))

    code, output = check(runner)
    assert code == 1 and f"[trending_score] idea #{kept}: stored 99.0" in output

    code, output = check(runner, "--repair")
    assert code == 0 and f"Repaired: idea #{kept}: trending_score set from 99.0" in output
    idea = fetch(lambda: db.session.get(Idea, kept))
    assert idea.trending_score == pytest.approx(trending_score(2, idea.created_at))


def strand_a_vote(app, member, idea):
    """A vote (and its count) on an idea that is merged: what racing a merge used to leave."""
    with app.app_context():
        db.session.add(Vote(user_id=member.id, idea_id=idea.id, created_at=utcnow()))
        db.session.execute(update(Idea).where(Idea.id == idea.id)
                           .values(vote_count=Idea.vote_count + 1, trending_score=trending_score(
                               1, db.session.get(Idea, idea.id).created_at)))
        db.session.commit()


def votes_on(fetch, idea_id):
    """(stored count, members whose vote rows are on the idea)."""
    return fetch(lambda: (db.session.get(Idea, idea_id).vote_count, set(db.session.execute(
        select(Vote.user_id).where(Vote.idea_id == idea_id)).scalars())))


def test_a_vote_on_a_merged_idea_moves_to_the_survivor_and_undo_brings_it_back(app, runner, fetch,
                                                                               world):
    duplicate, survivor, second = world["duplicate"], world["survivor"], world["second"]
    strand_a_vote(app, second, duplicate)

    code, output = check(runner)
    assert code == 1
    assert f"[votes_on_merged] idea #{duplicate.id}: merged, yet 1 vote(s) still sit on it" in output

    code, output = check(runner, "--repair")
    assert code == 0
    assert f"Repaired: idea #{duplicate.id}: 1 stranded vote(s) moved to #{survivor.id}" in output
    assert votes_on(fetch, duplicate.id) == (0, set())
    assert votes_on(fetch, survivor.id) == (2, {world["first"].id, second.id})

    act(app, undo_merge, (User, world["staff"].id), (Idea, duplicate.id))
    assert votes_on(fetch, duplicate.id) == (2, {world["first"].id, second.id})
    assert check(runner) == (0, "All invariants hold.\n")


def test_a_stranded_vote_of_a_member_whose_vote_moved_no_longer_blocks_undo(app, runner, fetch, world):
    """The storm's stuck merge: the member's vote moved to the survivor, and another one of theirs
    stayed behind on the duplicate; undo used to fail on the unique constraint every time."""
    duplicate, first = world["duplicate"], world["first"]
    strand_a_vote(app, first, duplicate)

    act(app, undo_merge, (User, world["staff"].id), (Idea, duplicate.id))

    assert votes_on(fetch, duplicate.id) == (1, {first.id})
    assert votes_on(fetch, world["survivor"].id) == (1, {first.id})
    assert check(runner) == (0, "All invariants hold.\n")


def test_a_merge_left_open_on_an_idea_that_is_not_merged_is_marked_undone(app, runner, fetch, world):
    duplicate = world["duplicate"].id
    corrupt(app, update(Idea).where(Idea.id == duplicate).values(status="planned", merged_into_id=None))

    code, output = check(runner)
    assert code == 1
    assert (f"[merge_ledger] idea #{duplicate}: not merged, yet 1 merge(s) of it are not marked "
            "undone") in output

    code, output = check(runner, "--repair")
    assert code == 0 and f"Repaired: idea #{duplicate}: 1 merge(s) of it marked undone" in output
    assert fetch(lambda: db.session.execute(select(Merge.undone_at)).scalar()) is not None


def test_a_merged_idea_pointing_elsewhere_than_its_merge_is_repointed(app, runner, fetch, world):
    duplicate, kept, survivor = world["duplicate"].id, world["kept"].id, world["survivor"].id
    corrupt(app, update(Idea).where(Idea.id == duplicate).values(merged_into_id=kept))

    code, output = check(runner)
    assert code == 1
    assert f"[merge_ledger] idea #{duplicate}: merged into #{survivor}, but it points to #{kept}" in output

    code, output = check(runner, "--repair")
    assert code == 0 and f"Repaired: idea #{duplicate}: now points to #{survivor}" in output
    assert fetch(lambda: db.session.get(Idea, duplicate).merged_into_id) == survivor


def test_a_merged_idea_without_a_merge_on_record_needs_a_person(app, runner, fetch, world, make_idea):
    kept, survivor = world["kept"].id, make_idea(title="Unbacked").id
    corrupt(app, update(Idea).where(Idea.id == survivor).values(status="merged", merged_into_id=kept))

    code, output = check(runner, "--repair")

    assert code == 1
    assert (f"[merge_ledger] idea #{survivor}: merged, but no merge of it is on record (nothing to "
            "undo it from) (needs a person: --repair leaves it)") in output
    assert "1 problem(s) found." in output
    assert fetch(lambda: db.session.get(Idea, survivor).status) == "merged"


def test_an_incomplete_ledger_row_is_reported(app, runner, world):
    corrupt(app, update(MergeLedgerRow).where(MergeLedgerRow.row_kind == "vote_moved")
            .values(vote_created_at=None))

    code, output = check(runner)

    assert code == 1
    assert "(vote_moved) lacks what undo needs (needs a person" in output


def test_a_follow_with_an_unknown_level_is_reset(app, runner, fetch, world):
    kept, author_id, second = world["kept"].id, world["kept"].author_id, world["second"].id
    corrupt(app, update(Follow).where(Follow.idea_id == kept).values(level="loud"))

    code, output = check(runner)
    assert code == 1
    assert f"[follow_level] member #{second} on idea #{kept}: level 'loud' is none of status, all" in output

    code, output = check(runner, "--repair")
    assert code == 0
    assert f"Repaired: member #{second} on idea #{kept}: level set from 'loud' to 'status'" in output
    levels = fetch(lambda: dict(db.session.execute(
        select(Follow.user_id, Follow.level).where(Follow.idea_id == kept)).all()))
    assert levels[author_id] == "all" and levels[second] == "status"
    assert fetch(lambda: db.session.execute(
        select(func.count()).where(Follow.level.not_in(("status", "all")))).scalar_one()) == 0
