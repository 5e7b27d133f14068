"""Merging duplicates and undoing a merge: votes, followers, timeline, ledger, and the invariants
that hold over any sequence of votes, withdrawals, merges, undos and status changes.
"""
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, rule,
                                 run_state_machine_as_test)
from sqlalchemy import func, select

from ideas.comments import add_comment
from ideas.errors import Conflict, DomainError, InvalidInput, NotAllowed
from ideas.extensions import db
from ideas.following import follow_idea, unfollow_idea
from ideas.merging import merge_ideas, undo_merge
from ideas.models import AuditEntry, Follow, Idea, TimelineEntry, User, Vote, utcnow
from ideas.proposals import propose_idea
from ideas.statuses import change_status
from ideas.voting import cast_vote, trending_score, withdraw_vote


def in_app(app, function, *ids):
    """Run function(user_or_idea, ...) in an app context on freshly loaded rows, then commit."""
    with app.app_context():
        result = function(*(db.session.get(model, id_) for model, id_ in ids))
        db.session.commit()
        return result


def vote(app, member, idea):
    in_app(app, cast_vote, (User, member.id), (Idea, idea.id))


def withdraw(app, member, idea):
    in_app(app, withdraw_vote, (User, member.id), (Idea, idea.id))


def merge(app, actor, source, target):
    in_app(app, merge_ideas, (User, actor.id), (Idea, source.id), (Idea, target.id))


def undo(app, actor, source):
    in_app(app, undo_merge, (User, actor.id), (Idea, source.id))


def vote_rows(fetch):
    """Every vote row as it is stored."""
    return fetch(lambda: {
        (v.id, v.user_id, v.idea_id, v.created_at, v.cast_by_id)
        for v in db.session.execute(select(Vote)).scalars()
    })


def follow_rows(fetch):
    """Every follow row as it is stored."""
    return fetch(lambda: {
        (f.user_id, f.idea_id, f.following, f.reason, f.created_at, f.updated_at)
        for f in db.session.execute(select(Follow)).scalars()
    })


def voters(fetch, idea):
    return fetch(lambda: set(db.session.execute(
        select(Vote.user_id).where(Vote.idea_id == idea.id)).scalars()))


def followers(fetch, idea):
    return fetch(lambda: set(db.session.execute(
        select(Follow.user_id).where(Follow.idea_id == idea.id, Follow.following.is_(True))).scalars()))


def stored_and_counted(fetch, idea):
    """The idea's stored vote count and its number of vote rows."""
    return fetch(lambda: (
        db.session.get(Idea, idea.id).vote_count,
        db.session.execute(select(func.count()).where(Vote.idea_id == idea.id)).scalar_one(),
    ))


@pytest.fixture
def staff(make_user):
    """A product manager."""
    return make_user(role="staff")


@pytest.fixture
def pair(make_idea):
    """A duplicate and the idea it duplicates."""
    return make_idea(title="Dark theme"), make_idea(title="Add a dark mode")


def test_merge_moves_votes_to_the_surviving_idea(app, fetch, staff, make_user, pair):
    duplicate, survivor = pair
    first, second, third = make_user(), make_user(), make_user()
    vote(app, first, duplicate)
    vote(app, second, duplicate)
    vote(app, third, survivor)

    merge(app, staff, duplicate, survivor)

    assert voters(fetch, survivor) == {first.id, second.id, third.id}
    assert voters(fetch, duplicate) == set()
    assert stored_and_counted(fetch, survivor) == (3, 3)
    assert stored_and_counted(fetch, duplicate) == (0, 0)


def test_a_member_who_backed_both_counts_once(app, fetch, staff, make_user, pair):
    duplicate, survivor = pair
    both, only_duplicate = make_user(), make_user()
    vote(app, both, duplicate)
    vote(app, both, survivor)
    vote(app, only_duplicate, duplicate)

    merge(app, staff, duplicate, survivor)

    assert voters(fetch, survivor) == {both.id, only_duplicate.id}
    assert stored_and_counted(fetch, survivor) == (2, 2)
    assert stored_and_counted(fetch, duplicate) == (0, 0)
    score = fetch(lambda: db.session.get(Idea, survivor.id).trending_score)
    assert score == pytest.approx(trending_score(2, survivor.created_at))


def test_the_authors_own_vote_moves_to_the_survivor_on_merge(app, fetch, staff, make_user, make_idea):
    author, backer = make_user(), make_user()
    duplicate = make_idea(title="Dark theme", author=author, backed=True)
    survivor = make_idea(title="Add a dark mode")
    vote(app, backer, survivor)

    merge(app, staff, duplicate, survivor)

    assert voters(fetch, survivor) == {author.id, backer.id}
    assert stored_and_counted(fetch, survivor) == (2, 2)
    assert stored_and_counted(fetch, duplicate) == (0, 0)


def test_undo_gives_the_author_their_vote_back_on_their_own_idea(app, fetch, staff, make_user, make_idea):
    author = make_user()
    duplicate = make_idea(title="Dark theme", author=author, backed=True)
    survivor = make_idea(title="Add a dark mode")
    merge(app, staff, duplicate, survivor)

    undo(app, staff, duplicate)

    assert voters(fetch, duplicate) == {author.id}
    assert stored_and_counted(fetch, duplicate) == (1, 1)
    assert stored_and_counted(fetch, survivor) == (0, 0)


def test_followers_follow_the_survivor_except_those_who_unfollowed_it(app, fetch, staff, make_user,
                                                                     pair):
    duplicate, survivor = pair
    voter, watcher, refuser = make_user(), make_user(), make_user()
    vote(app, voter, duplicate)
    in_app(app, follow_idea, (User, watcher.id), (Idea, duplicate.id))
    vote(app, refuser, duplicate)
    in_app(app, unfollow_idea, (User, refuser.id), (Idea, survivor.id))

    merge(app, staff, duplicate, survivor)

    assert followers(fetch, survivor) == {survivor.author_id, duplicate.author_id, voter.id,
                                          watcher.id}
    assert fetch(lambda: db.session.get(Follow, (refuser.id, survivor.id)).following) is False
    assert refuser.id in voters(fetch, survivor)  # the vote still moves; the follow does not


def test_the_duplicate_becomes_merged_with_timeline_entries_on_both(app, fetch, staff, make_idea):
    duplicate = make_idea(title="Dark theme", status="planned")
    survivor = make_idea(title="Add a dark mode")

    merge(app, staff, duplicate, survivor)

    merged = fetch(lambda: db.session.get(Idea, duplicate.id))
    assert (merged.status, merged.merged_into_id) == ("merged", survivor.id)
    entries = fetch(lambda: [
        (e.idea_id, e.action, e.from_status, e.to_status, e.related_idea_id, e.actor_id)
        for e in db.session.execute(select(TimelineEntry).order_by(TimelineEntry.id)).scalars()
    ])
    assert (duplicate.id, "merged_into", "planned", "merged", survivor.id, staff.id) in entries
    assert (survivor.id, "merged_from", None, None, duplicate.id, staff.id) in entries
    assert fetch(lambda: db.session.execute(
        select(AuditEntry.action).where(AuditEntry.target_id == duplicate.id)).scalars().all()
    ) == ["idea.merged"]


@pytest.fixture
def merged_world(app, staff, make_user, make_idea):
    """A planned duplicate with a moved vote, a counted-twice vote, a watcher and an unfollower."""
    duplicate = make_idea(title="Dark theme", status="planned")
    survivor = make_idea(title="Add a dark mode")
    moved, both, refuser = make_user(), make_user(), make_user()
    vote(app, moved, duplicate)
    vote(app, both, duplicate)
    vote(app, both, survivor)
    vote(app, refuser, duplicate)
    in_app(app, unfollow_idea, (User, refuser.id), (Idea, survivor.id))
    return duplicate, survivor, moved, both


def test_merge_then_undo_restores_the_exact_rows(app, fetch, staff, merged_world):
    duplicate, survivor, _, _ = merged_world
    votes_before, follows_before = vote_rows(fetch), follow_rows(fetch)

    merge(app, staff, duplicate, survivor)
    assert vote_rows(fetch) != votes_before
    undo(app, staff, duplicate)

    assert vote_rows(fetch) == votes_before
    assert follow_rows(fetch) == follows_before
    restored = fetch(lambda: db.session.get(Idea, duplicate.id))
    assert (restored.status, restored.merged_into_id) == ("planned", None)
    assert stored_and_counted(fetch, duplicate) == (3, 3)
    assert stored_and_counted(fetch, survivor) == (1, 1)
    actions = fetch(lambda: db.session.execute(
        select(TimelineEntry.idea_id, TimelineEntry.action).where(TimelineEntry.action == "unmerged")
    ).all())
    assert sorted(actions) == sorted([(duplicate.id, "unmerged"), (survivor.id, "unmerged")])


@pytest.mark.parametrize("who", ["moved", "both"])
def test_a_vote_withdrawn_after_the_merge_stays_withdrawn_after_undo(app, fetch, staff, merged_world,
                                                                    who):
    duplicate, survivor, moved, both = merged_world
    member = {"moved": moved, "both": both}[who]
    merge(app, staff, duplicate, survivor)
    withdraw(app, member, survivor)

    undo(app, staff, duplicate)

    assert member.id not in voters(fetch, survivor)
    assert member.id not in voters(fetch, duplicate)
    assert stored_and_counted(fetch, duplicate) == (2, 2)
    left_on_survivor = 0 if who == "both" else 1  # `both` kept only their own survivor vote
    assert stored_and_counted(fetch, survivor) == (left_on_survivor, left_on_survivor)


def test_undo_is_refused_while_the_survivor_is_itself_merged(app, fetch, staff, make_idea, pair):
    duplicate, survivor = pair
    third = make_idea(title="Night mode")
    merge(app, staff, duplicate, survivor)
    merge(app, staff, survivor, third)

    with pytest.raises(Conflict):
        undo(app, staff, duplicate)

    undo(app, staff, survivor)
    undo(app, staff, duplicate)
    assert fetch(lambda: db.session.get(Idea, duplicate.id).status) == "open"


@pytest.mark.parametrize("case", ["itself", "into-merged", "from-merged"])
def test_merging_into_itself_or_with_a_merged_idea_is_refused(app, staff, make_idea, pair, case):
    duplicate, survivor = pair
    other = make_idea(title="Night mode")
    merge(app, staff, other, survivor)
    source, target = {"itself": (duplicate, duplicate), "into-merged": (duplicate, other),
                      "from-merged": (other, duplicate)}[case]

    with pytest.raises(InvalidInput):
        merge(app, staff, source, target)


@pytest.mark.parametrize("state", [{"hidden_at": utcnow()}, {"awaiting_approval": True},
                                   {"withdrawn_at": utcnow()}], ids=["hidden", "waiting", "withdrawn"])
def test_merging_into_an_idea_the_public_cannot_see_is_refused(app, fetch, staff, make_idea, state):
    duplicate, survivor = make_idea(title="Dark theme"), make_idea(title="Add a dark mode", **state)

    with pytest.raises(InvalidInput) as refusal:
        merge(app, staff, duplicate, survivor)

    assert f"#{survivor.id}" in refusal.value.fields["into"]
    assert fetch(lambda: db.session.get(Idea, duplicate.id).status) == "open"


def tag_names(fetch, idea):
    """The names of the idea's tags, sorted."""
    return fetch(lambda: sorted(tag.name for tag in db.session.get(Idea, idea.id).tags))


def test_a_merge_carries_the_duplicates_tags_over_and_undo_takes_only_those_off(
        app, fetch, staff, make_idea, make_tag):
    mobile, billing, urgent = make_tag("mobile"), make_tag("billing"), make_tag("urgent")
    duplicate = make_idea(title="Dark theme", tags=[mobile, billing])
    survivor = make_idea(title="Add a dark mode", tags=[billing, urgent])

    merge(app, staff, duplicate, survivor)
    assert tag_names(fetch, survivor) == ["billing", "mobile", "urgent"]

    undo(app, staff, duplicate)
    assert tag_names(fetch, survivor) == ["billing", "urgent"]
    assert tag_names(fetch, duplicate) == ["billing", "mobile"]


def test_undo_of_an_idea_that_is_not_merged_is_refused(app, staff, pair):
    duplicate, survivor = pair
    merge(app, staff, duplicate, survivor)
    undo(app, staff, duplicate)

    with pytest.raises(Conflict):
        undo(app, staff, duplicate)


def test_members_may_neither_merge_nor_undo(app, fetch, staff, make_user, pair):
    duplicate, survivor = pair
    member = make_user()

    with pytest.raises(NotAllowed):
        merge(app, member, duplicate, survivor)
    merge(app, staff, duplicate, survivor)
    with pytest.raises(NotAllowed):
        undo(app, member, duplicate)

    assert fetch(lambda: db.session.get(Idea, duplicate.id).status) == "merged"


def test_a_vote_cast_again_on_the_survivor_after_the_merge_stays_there_after_undo(
        app, fetch, staff, make_user, pair):
    duplicate, survivor = pair
    member = make_user()
    vote(app, member, duplicate)
    merge(app, staff, duplicate, survivor)
    withdraw(app, member, survivor)
    vote(app, member, survivor)  # a new vote, not the one the merge moved

    undo(app, staff, duplicate)

    assert member.id in voters(fetch, survivor)
    assert member.id not in voters(fetch, duplicate)


def test_undo_keeps_a_follow_the_member_earned_after_the_merge(app, fetch, staff, make_user, pair):
    duplicate, survivor = pair
    member = make_user()
    vote(app, member, duplicate)
    merge(app, staff, duplicate, survivor)
    in_app(app, lambda m, i: add_comment(m, i, "Still wanted"), (User, member.id), (Idea, survivor.id))

    undo(app, staff, duplicate)

    assert member.id in followers(fetch, survivor)  # they commented on it


# --- Random sequences of operations -------------------------------------------------------------

IDEAS = 4
MEMBERS = 5
STATUSES = ("open", "under_review", "planned", "in_progress", "shipped", "declined")
MACHINE_SETTINGS = settings(
    max_examples=40, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

members = st.integers(0, MEMBERS - 1)
ideas = st.integers(0, IDEAS - 1)


def test_random_sequences_keep_vote_counts_exact(app, make_user):
    """Vote, withdraw, unfollow, merge, undo and change status in any order; the invariants hold.

    Tried once on a scratch copy of ideas/merging.py: moving every vote (forgetting members who
    back both) fails on the unique constraint, and adding the removed votes to the survivor's count
    fails `stored 3, 2 vote rows`; Hypothesis shrinks both to one merge after two shared votes.
    """
    staff_id = make_user(role="staff").id
    member_ids = [make_user().id for _ in range(MEMBERS)]

    class MergeMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.unfollowed = set()
            with app.app_context():
                authors = [db.session.get(User, id_) for id_ in member_ids]
                self.idea_ids = [propose_idea(authors[n % MEMBERS], f"Idea {n}", backed=False).id
                                 for n in range(IDEAS)]
                db.session.commit()

        def attempt(self, action):
            """Run one operation as a request would: commit, or roll back what the rule refused."""
            with app.app_context():
                staff = db.session.get(User, staff_id)
                try:
                    result = action(staff)
                except DomainError:
                    db.session.rollback()
                    return False
                db.session.commit()
                return True if result is None else result

        def member(self, number):
            return db.session.get(User, member_ids[number])

        def idea(self, number):
            return db.session.get(Idea, self.idea_ids[number])

        def backers(self, number):
            return set(db.session.execute(
                select(Vote.user_id).where(Vote.idea_id == self.idea_ids[number])).scalars())

        @initialize(backing=st.sets(st.tuples(members, ideas), max_size=MEMBERS * IDEAS))
        def some_backers(self, backing):
            """Start with votes spread over the ideas, so merges often meet members who back both."""
            with app.app_context():
                for member, idea in backing:
                    cast_vote(self.member(member), self.idea(idea))
                db.session.commit()

        @rule(member=members, idea=ideas)
        def vote(self, member, idea):
            self.attempt(lambda _: cast_vote(self.member(member), self.idea(idea)))

        @rule(member=members, idea=ideas)
        def withdraw(self, member, idea):
            self.attempt(lambda _: withdraw_vote(self.member(member), self.idea(idea)))

        @rule(member=members, idea=ideas)
        def unfollow(self, member, idea):
            if self.attempt(lambda _: unfollow_idea(self.member(member), self.idea(idea))):
                self.unfollowed.add((member_ids[member], self.idea_ids[idea]))

        @rule(idea=ideas, status=st.sampled_from(STATUSES))
        def change_status(self, idea, status):
            self.attempt(lambda staff: change_status(staff, self.idea(idea), status, "Decided."))

        @rule(source=ideas, into=ideas)
        def merge(self, source, into):
            with app.app_context():
                expected = self.backers(source) | self.backers(into)
            if self.attempt(lambda staff: merge_ideas(staff, self.idea(source), self.idea(into))):
                with app.app_context():
                    assert self.backers(into) == expected
                    assert self.backers(source) == set()

        @rule(source=ideas)
        def undo(self, source):
            if self.attempt(lambda staff: undo_merge(staff, self.idea(source))):
                with app.app_context():
                    assert self.idea(source).status != "merged"

        @rule(source=ideas, into=ideas)
        def merge_then_undo(self, source, into):
            with app.app_context():
                votes_before = set(db.session.execute(
                    select(Vote.id, Vote.user_id, Vote.idea_id, Vote.created_at, Vote.cast_by_id)).all())
                status_before = self.idea(source).status
            if self.attempt(lambda staff: merge_ideas(staff, self.idea(source), self.idea(into))):
                assert self.attempt(lambda staff: undo_merge(staff, self.idea(source)))
                with app.app_context():
                    assert set(db.session.execute(
                        select(Vote.id, Vote.user_id, Vote.idea_id, Vote.created_at, Vote.cast_by_id)
                    ).all()) == votes_before
                    assert self.idea(source).status == status_before

        @invariant()
        def counts_are_exact_and_nothing_is_doubled(self):
            with app.app_context():
                ideas_now = db.session.execute(
                    select(Idea.id, Idea.status, Idea.merged_into_id, Idea.vote_count,
                           Idea.trending_score, Idea.created_at, func.count(Vote.id))
                    .outerjoin(Vote, Vote.idea_id == Idea.id)
                    .where(Idea.id.in_(self.idea_ids)).group_by(Idea.id)
                ).all()
                doubled = db.session.execute(
                    select(Vote.user_id, Vote.idea_id).group_by(Vote.user_id, Vote.idea_id)
                    .having(func.count() > 1)
                ).all()
                refollowed = db.session.execute(select(Follow.user_id, Follow.idea_id).where(
                    Follow.idea_id.in_(self.idea_ids), Follow.following.is_(True))).all()
            for idea_id, status, merged_into_id, stored, score, created_at, counted in ideas_now:
                assert stored == counted, f"idea {idea_id}: stored {stored}, {counted} vote rows"
                assert score == pytest.approx(trending_score(stored, created_at))
                assert (status == "merged") == (merged_into_id is not None)
                assert status != "merged" or counted == 0, "a merged idea holds votes"
            assert doubled == [], "a member has two votes on one idea"
            assert self.unfollowed.isdisjoint(refollowed), "an unfollow was undone"

    run_state_machine_as_test(MergeMachine, settings=MACHINE_SETTINGS)
