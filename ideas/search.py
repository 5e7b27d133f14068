"""Full-text search over ideas: SQLite FTS5 or PostgreSQL tsvector, behind one interface.

Both stem words (FTS5's porter tokenizer, PostgreSQL's english configuration) and both
ignore the same stop words, dropped here before either database sees the query, so a
fixed data set matches the same ideas on both (ranking may differ).
"""
import re
from typing import Any

from sqlalchemy import (ColumnClause, ColumnElement, Function, Select, Subquery, case, false, func, literal,
                        literal_column, select, text)

from .database import unindexed, written_limit
from .extensions import db
from .models import Idea

MAX_TERMS = 12
MAX_TERM_LENGTH = 40
RANKED_CANDIDATES = 200
# filter_by_text's choice of plan, and of the words a match needs: a query or a word is common
# when it matches at least COMMON_MIN ideas and at least one idea in COMMON_SHARE.
COMMON_MIN = 200
COMMON_SHARE = 100

# PostgreSQL's english stop words (Snowball), so SQLite drops the same ones.
STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these they
this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself yourselves
""".split())


def terms_of(query: str | None) -> list[str]:
    """The searchable words of `query`: lower case, letters and digits, no stop words."""
    words = re.findall(r"[^\W_]+", (query or "").lower())
    terms: list[str] = []
    for word in words:
        if word in STOP_WORDS or len(word) > MAX_TERM_LENGTH or word in terms:
            continue
        terms.append(word)
    return terms[:MAX_TERMS]


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _fts5_query(terms: list[str], any_term: bool) -> str:
    # Quoted, so FTS5 reads each term as a word, never as its query syntax.
    return (" OR " if any_term else " AND ").join(f'"{term}"' for term in terms)


def _tsquery(terms: list[str], any_term: bool) -> str:
    return (" | " if any_term else " & ").join(terms)


def _ranked_matches(terms: list[str], any_term: bool, best: int | None = None) -> Subquery:
    """A subquery of (idea_id, rank), lower rank is better. Whole stemmed words only.

    With `best`, only that many of the best-ranked matches: ranking then sorts narrow rows in
    the search index instead of whole ideas, which matters when a common word matches thousands.
    """
    if _is_postgres():
        # The words are written into the SQL (letters and digits only, see terms_of): psycopg
        # prepares a statement on its fifth run, and a prepared statement's generic plan cannot
        # know how common bound words are (the similar-ideas lookup took 46 ms instead of 24).
        # With the words in its text, a statement is prepared for those words only.
        words = literal(_tsquery(terms, any_term), literal_execute=True)
        query = func.to_tsquery(literal_column("'english'::regconfig"), words)
        vector: ColumnClause[Any] = literal_column("ideas.search_vector")
        rank = (-func.ts_rank(vector, query)).label("rank")
        matches = select(Idea.id.label("idea_id"), rank).where(vector.op("@@")(query))
    else:
        rank = literal_column("bm25(idea_search, 10.0, 1.0)").label("rank")
        matches = (
            select(literal_column("idea_search.rowid").label("idea_id"), rank)
            .select_from(text("idea_search"))
            .where(text("idea_search MATCH :fts_query").bindparams(fts_query=_fts5_query(terms, any_term)))
        )
    if best is not None:
        matches = matches.order_by(rank).limit(written_limit(best))
    return matches.subquery()


def filter_by_text(statement: Select[Idea], query: str) -> Select[Idea]:
    """Narrow a select of ideas to those matching words of `query`, those matching most first.

    An idea needs one of the words, not all of them ("dark mode please" finds "Add a dark
    mode"), and ideas matching more of the words come first; the select's own order (the
    board's sort) decides among those matching as many. A common word finds nothing by itself
    beside rarer ones, it only moves ideas up ("please" does not bring in every polite idea),
    and a query of common words only needs all of them, since together they tell ideas apart:
    Lucene's common terms query. Text with no searchable word (only stop words or punctuation)
    matches nothing.

    The plan follows how many ideas match. Few: find them in the search index, look each up and
    sort them. Many (common: at least COMMON_MIN ideas and one in COMMON_SHARE): walk the index of
    the select's order, test each idea and stop at a page's worth. For "dark mode" (5,000 matches
    of 100,000) the lookup took 16 ms on SQLite and 12–26 ms on PostgreSQL, the walk about 1 ms.
    Neither planner can tell the two apart: both guess how many ideas a word matches. A word is
    common by the same measure, so when the words together are rare the lookup reads only ideas
    that rare words match, few by definition; ranking by words matched could not walk.
    """
    terms = terms_of(query)
    if not terms:
        return statement.where(false())
    enough = _common_count()
    if _capped_counts([terms], enough)[0] >= enough:  # then each word is common too
        return statement.where(_tested_in_order(terms))
    rare = _rare_terms(terms, enough) if len(terms) > 1 else []
    if rare:
        return (statement.where(Idea.id.in_(_matching_ids(rare, any_term=True)))
                .order_by(_terms_matched(terms, rare).desc()))
    return statement.where(Idea.id.in_(_matching_ids(terms)))


def _rare_terms(terms: list[str], enough: int) -> list[str]:
    """The terms fewer than `enough` ideas match."""
    counts = _capped_counts([[term] for term in terms], enough)
    return [term for term, count in zip(terms, counts, strict=True) if count < enough]


def _common_count() -> int:
    """How many matches make a query or a word common: COMMON_MIN, or one idea in COMMON_SHARE
    if more; the highest idea id stands in for the number of ideas."""
    highest = db.session.execute(select(func.max(Idea.id))).scalar() or 0
    return max(COMMON_MIN, highest // COMMON_SHARE)


def _capped_counts(groups: list[list[str]], enough: int) -> list[int]:
    """How many ideas match every term of each group, counting no further than `enough`, in one
    statement: each count reads at most that many matches."""
    return list(db.session.execute(select(*(
        select(func.count()).select_from(_matching_ids(terms).limit(enough).subquery()).scalar_subquery()
        for terms in groups))).one())


def _terms_matched(terms: list[str], rare: list[str]) -> ColumnElement[int]:
    """How many of `terms` an idea found by one of `rare` matches, as an expression over `ideas`.

    SQLite tests each idea against each term's matches, read once; a common term's are read only
    among the ideas a rare term found (FTS5 skips through both lists), not all of them."""
    if _is_postgres():
        vector: ColumnClause[Any] = literal_column("ideas.search_vector")
        tests = [vector.op("@@")(func.to_tsquery("english", term)) for term in terms]
    else:
        found = _fts5_query(rare, any_term=True)
        tests = [Idea.id.in_(_fts5_matches(f'"{term}"' if term in rare else f'"{term}" AND ({found})'))
                 for term in terms]
    counts = [case((test, 1), else_=0) for test in tests]
    return sum(counts[1:], counts[0])


def _tsquery_all(terms: list[str]) -> Function[Any]:
    return func.to_tsquery("english", _tsquery(terms, any_term=False))


def _matching_ids(terms: list[str], any_term: bool = False) -> Select[int]:
    """A select of the ids of the ideas matching every term, or any (unranked), from the search index."""
    if _is_postgres():
        words = func.to_tsquery("english", _tsquery(terms, any_term))
        return select(Idea.id).where(literal_column("ideas.search_vector").op("@@")(words))
    return _fts5_matches(_fts5_query(terms, any_term))


def _fts5_matches(fts_query: str) -> Select[int]:
    """A select of the rowids FTS5 finds for `fts_query` (its parameter is anonymous, so that one
    statement may hold several: see _terms_matched)."""
    return (select(literal_column("idea_search.rowid")).select_from(text("idea_search"))
            .where(literal_column("idea_search").op("MATCH")(fts_query)))


def _tested_in_order(terms: list[str]) -> ColumnElement[bool]:
    """The match as a condition tested idea by idea while the planner walks the order's index.

    SQLite: a unary + on the id keeps the planner from driving the query from the search index.
    PostgreSQL: the plain condition, with bitmap scans (the GIN index can only be read as one)
    and parallel workers (which take longer to start than the walk) turned off for the rest of
    this transaction, which is the page's; its other queries are lookups by key."""
    if _is_postgres():
        db.session.execute(text("SET LOCAL enable_bitmapscan = off"))
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        return literal_column("ideas.search_vector").op("@@")(_tsquery_all(terms))
    return unindexed(Idea.id).in_(_matching_ids(terms))


def ranked_by_text(statement: Select[Idea], query: str,
                   best: int = RANKED_CANDIDATES) -> Select[Idea] | None:
    """Join a select of ideas to those sharing any word with `query`, best first.

    Only the `best` best-ranked matches are candidates (the rest of a select's conditions then
    narrow them), so a short list of the closest ideas stays cheap however common the words.
    None when `query` has no searchable words.
    """
    terms = terms_of(query)
    if not terms:
        return None
    matches = _ranked_matches(terms, any_term=True, best=best)
    return statement.join(matches, matches.c.idea_id == Idea.id).order_by(
        matches.c.rank, Idea.vote_count.desc(), Idea.id
    )
