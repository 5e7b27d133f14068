"""What must always hold between stored summaries and the rows they summarise, for
`flask --app ideas check` (and `--repair`).

The rules keep these true in every transaction; this module is how an operator proves it after a
crash, a restore or a bug, and puts right what can be put right from the rows themselves:
- each idea's vote_count and comment_count equal its rows, and its trending score its vote count;
- no vote sits on a merged idea (its votes moved to the survivor);
- merge ledgers agree with the ideas: a merged idea has exactly one merge not undone, naming the
  idea it is merged into; an idea that is not merged has none; ledger rows are complete;
- every follow has a level a member can choose.
Each check is one query over the whole table, so it stays usable at a million ideas.
"""
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnExpressionArgument, Row, Subquery, and_, func, or_, select, true, update

from .extensions import db
from .following import FOLLOW_LEVELS
from .models import Comment, Follow, Idea, Merge, MergeLedgerRow, Vote, utcnow
from .voting import trending_score

LEDGER_KINDS = ("vote_moved", "vote_removed", "follow_added", "tag_added")
TRENDING_TOLERANCE = 1e-6
# A vote stranded on an idea merged into a merged idea moves one link of the chain per pass.
MAX_VOTE_PASSES = 50


@dataclass(frozen=True)
class Problem:
    """One broken invariant: which, where, what is wrong, and whether --repair can fix it."""

    invariant: str
    subject: str
    detail: str
    repairable: bool

    def __str__(self) -> str:
        fix = "" if self.repairable else " (needs a person: --repair leaves it)"
        return f"[{self.invariant}] {self.subject}: {self.detail}{fix}"


def find_problems() -> list[Problem]:
    """Every broken invariant in the database, in a stable order."""
    return [
        *_wrong_counts(Vote, true(), "vote_count", "vote rows"),
        *_wrong_counts(Comment, Comment.counts_as_public, "comment_count", "public comments"),
        *_wrong_trending(),
        *_votes_on_merged_ideas(),
        *_merge_problems(),
        *_incomplete_ledger_rows(),
        *_invalid_follow_levels(),
    ]


def repair() -> list[str]:
    """Fix what the rows themselves say how to fix; a sentence per change. Flushes, the caller
    commits. Counts go first: carrying stranded votes then moves them by exact amounts."""
    done = _repair_counts(Vote, true(), "vote_count", "vote rows")
    done += _repair_counts(Comment, Comment.counts_as_public, "comment_count", "public comments")
    done += _repair_votes_on_merged_ideas()
    done += _repair_merges()
    done += _repair_trending()
    done += _repair_follow_levels()
    db.session.flush()
    return done


# Counts and trending

def _counted(model: type[Vote] | type[Comment], condition: ColumnExpressionArgument[bool]) -> Subquery:
    """A subquery of (idea_id, n): rows of `model` per idea that meet `condition`."""
    return (select(model.idea_id, func.count().label("n")).where(condition)
            .group_by(model.idea_id).subquery())


def _count_mismatches(model: type[Vote] | type[Comment], condition: ColumnExpressionArgument[bool],
                      column: str) -> Sequence[Row[int, int, int]]:
    """(idea id, stored, counted) for every idea whose stored `column` differs from its rows."""
    counted = _counted(model, condition)
    actual = func.coalesce(counted.c.n, 0)
    stored = getattr(Idea, column)
    return db.session.execute(
        select(Idea.id, stored, actual).outerjoin(counted, counted.c.idea_id == Idea.id)
        .where(stored != actual).order_by(Idea.id)).all()


def _wrong_counts(model: type[Vote] | type[Comment], condition: ColumnExpressionArgument[bool], column: str,
                  rows: str) -> list[Problem]:
    return [Problem(column, f"idea #{idea_id}", f"stored {stored}, but it has {actual} {rows}", True)
            for idea_id, stored, actual in _count_mismatches(model, condition, column)]


def _repair_counts(model: type[Vote] | type[Comment], condition: ColumnExpressionArgument[bool], column: str,
                   rows: str) -> list[str]:
    done = []
    for idea_id, stored, actual in _count_mismatches(model, condition, column):
        db.session.execute(update(Idea).where(Idea.id == idea_id).values({column: actual}),
                           execution_options={"synchronize_session": False})
        done.append(f"idea #{idea_id}: {column} set from {stored} to {actual} (its {rows})")
    return done


def _trending_mismatches() -> list[tuple[int, float | None, float]]:
    """(idea id, stored score, the score for its stored vote count), read in batches."""
    rows = db.session.execute(
        select(Idea.id, Idea.trending_score, Idea.vote_count, Idea.created_at).order_by(Idea.id)
        .execution_options(yield_per=10_000))
    found: list[tuple[int, float | None, float]] = []
    for idea_id, stored, votes, created_at in rows:
        expected = trending_score(votes, created_at)
        if stored is None or abs(stored - expected) > TRENDING_TOLERANCE:
            found.append((idea_id, stored, expected))
    return found


def _wrong_trending() -> list[Problem]:
    """A wrong vote count is reported on its own; its trending score is mended with it."""
    miscounted = {idea_id for idea_id, *_ in _count_mismatches(Vote, true(), "vote_count")}
    return [Problem("trending_score", f"idea #{idea_id}",
                    f"stored {stored}, but its vote count gives {expected}", True)
            for idea_id, stored, expected in _trending_mismatches() if idea_id not in miscounted]


def _repair_trending() -> list[str]:
    done = []
    for idea_id, stored, expected in _trending_mismatches():
        db.session.execute(update(Idea).where(Idea.id == idea_id).values(trending_score=expected),
                           execution_options={"synchronize_session": False})
        done.append(f"idea #{idea_id}: trending_score set from {stored} to {expected}")
    return done


# Votes on merged ideas

def _stranded_votes() -> Sequence[Row[int, int]]:
    """(merged idea id, how many votes it still holds)."""
    return db.session.execute(
        select(Idea.id, func.count(Vote.id)).join(Vote, Vote.idea_id == Idea.id)
        .where(Idea.status == "merged").group_by(Idea.id).order_by(Idea.id)).all()


def _votes_on_merged_ideas() -> list[Problem]:
    return [Problem("votes_on_merged", f"idea #{idea_id}",
                    f"merged, yet {count} vote(s) still sit on it", _open_merge(idea_id) is not None)
            for idea_id, count in _stranded_votes()]


def _repair_votes_on_merged_ideas() -> list[str]:
    """Carry stranded votes to the survivor as the merge would have, into the merge's ledger, so
    that undoing it brings them back."""
    from .merging import carry_votes, lock_pair

    done = []
    for _ in range(MAX_VOTE_PASSES):
        carried = False
        for idea_id, _count in _stranded_votes():
            merge = _open_merge(idea_id)
            if merge is None:
                continue
            source, target = lock_pair(idea_id, merge.target_id)
            moved, removed = carry_votes(merge, source, target)
            carried |= bool(moved or removed)
            done.append(f"idea #{idea_id}: {moved} stranded vote(s) moved to #{target.id} and "
                        f"{removed} removed (their members back #{target.id} already), "
                        f"in merge {merge.id}'s ledger")
        if not carried:
            return done
    return done


# Merges and their ledgers

def _open_merge(idea_id: int) -> Merge | None:
    """The latest merge of the idea that is not undone, or None."""
    return db.session.execute(
        select(Merge).where(Merge.source_id == idea_id, Merge.undone_at.is_(None))
        .order_by(Merge.id.desc()).limit(1)).scalar()


def _merge_states() -> Sequence[Row[int, str, int | None, int, int | None]]:
    """(idea id, status, merged_into_id, open merges, target of the latest open merge) for every
    idea that is merged, points somewhere, or is the source of a merge not undone."""
    open_merges = (select(Merge.source_id, func.count().label("n"), func.max(Merge.id).label("latest"))
                   .where(Merge.undone_at.is_(None)).group_by(Merge.source_id).subquery())
    latest = select(Merge.target_id).where(Merge.id == open_merges.c.latest).scalar_subquery()
    return db.session.execute(
        select(Idea.id, Idea.status, Idea.merged_into_id, func.coalesce(open_merges.c.n, 0), latest)
        .outerjoin(open_merges, open_merges.c.source_id == Idea.id)
        .where(or_(Idea.status == "merged", Idea.merged_into_id.isnot(None),
                   open_merges.c.n.isnot(None)))
        .order_by(Idea.id)).all()


def _merge_problems() -> list[Problem]:
    found = []
    for idea_id, status, into, open_count, target in _merge_states():
        subject = f"idea #{idea_id}"
        if status != "merged":
            if open_count:
                found.append(Problem("merge_ledger", subject, f"not merged, yet {open_count} "
                                     "merge(s) of it are not marked undone", True))
            if into is not None:
                found.append(Problem("merge_ledger", subject,
                                     f"not merged, yet it points to #{into}", True))
        elif open_count == 0:
            found.append(Problem("merge_ledger", subject, "merged, but no merge of it is on record "
                                 "(nothing to undo it from)", False))
        elif open_count > 1:
            found.append(Problem("merge_ledger", subject, f"merged {open_count} times over without "
                                 "an undo in between", False))
        elif into != target:
            found.append(Problem("merge_ledger", subject,
                                 f"merged into #{target}, but it points to #{into}", True))
    return found


def _repair_merges() -> list[str]:
    done = []
    for idea_id, status, into, open_count, target in _merge_states():
        if status != "merged":
            if open_count:
                db.session.execute(update(Merge).where(Merge.source_id == idea_id,
                                                       Merge.undone_at.is_(None))
                                   .values(undone_at=utcnow()),
                                   execution_options={"synchronize_session": False})
                done.append(f"idea #{idea_id}: {open_count} merge(s) of it marked undone "
                            "(it is not merged)")
            if into is not None:
                _point(idea_id, None)
                done.append(f"idea #{idea_id}: no longer points to #{into} (it is not merged)")
        elif open_count == 1 and into != target:
            _point(idea_id, target)
            done.append(f"idea #{idea_id}: now points to #{target}, the idea its merge names")
    return done


def _point(idea_id: int, into: int | None) -> None:
    db.session.execute(update(Idea).where(Idea.id == idea_id).values(merged_into_id=into),
                       execution_options={"synchronize_session": False})


def _incomplete_ledger_rows() -> list[Problem]:
    """Ledger rows undo could not act on: an unknown kind, or a vote or tag row without its key."""
    is_vote = MergeLedgerRow.row_kind.in_(("vote_moved", "vote_removed"))
    broken = or_(
        MergeLedgerRow.row_kind.not_in(LEDGER_KINDS),
        and_(is_vote, or_(MergeLedgerRow.vote_id.is_(None), MergeLedgerRow.vote_created_at.is_(None))),
        and_(MergeLedgerRow.row_kind == "tag_added", MergeLedgerRow.tag_id.is_(None)),
    )
    return [Problem("merge_ledger", f"merge {merge_id}",
                    f"ledger row {row_id} ({kind}) lacks what undo needs", False)
            for row_id, merge_id, kind in db.session.execute(
                select(MergeLedgerRow.id, MergeLedgerRow.merge_id, MergeLedgerRow.row_kind)
                .where(broken).order_by(MergeLedgerRow.id))]


# Follow levels

def _invalid_levels() -> Sequence[Row[int, int, str, int]]:
    return db.session.execute(
        select(Follow.user_id, Follow.idea_id, Follow.level, Idea.author_id)
        .join(Idea, Idea.id == Follow.idea_id)
        .where(or_(Follow.level.is_(None), Follow.level.not_in(FOLLOW_LEVELS)))
        .order_by(Follow.idea_id, Follow.user_id)).all()


def _invalid_follow_levels() -> list[Problem]:
    return [Problem("follow_level", f"member #{user_id} on idea #{idea_id}",
                    f"level {level!r} is none of {', '.join(FOLLOW_LEVELS)}", True)
            for user_id, idea_id, level, _author in _invalid_levels()]


def _repair_follow_levels() -> list[str]:
    """The level the member would have had: "all" for the idea's author, else "status"."""
    done = []
    for user_id, idea_id, level, author_id in _invalid_levels():
        fixed = "all" if user_id == author_id else "status"
        db.session.execute(update(Follow).where(Follow.user_id == user_id, Follow.idea_id == idea_id)
                           .values(level=fixed), execution_options={"synchronize_session": False})
        done.append(f"member #{user_id} on idea #{idea_id}: level set from {level!r} to {fixed!r}")
    return done

