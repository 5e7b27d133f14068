"""Full-text search over ideas: SQLite FTS5 or PostgreSQL tsvector, behind one interface.

Both stem words (FTS5's porter tokenizer, PostgreSQL's english configuration) and both
ignore the same stop words, dropped here before either database sees the query, so a
fixed data set matches the same ideas on both (ranking may differ).
"""
import re

from sqlalchemy import false, func, literal_column, select, text

from .database import unindexed
from .extensions import db
from .models import Idea

MAX_TERMS = 12
MAX_TERM_LENGTH = 40
RANKED_CANDIDATES = 200
# filter_by_text's choice of plan on SQLite: a query is common when it matches at least
# COMMON_MIN ideas and at least one idea in COMMON_SHARE.
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


def terms_of(query):
    """The searchable words of `query`: lower case, letters and digits, no stop words."""
    words = re.findall(r"[^\W_]+", (query or "").lower())
    terms = []
    for word in words:
        if word in STOP_WORDS or len(word) > MAX_TERM_LENGTH or word in terms:
            continue
        terms.append(word)
    return terms[:MAX_TERMS]


def _is_postgres():
    return db.session.get_bind().dialect.name == "postgresql"


def _fts5_query(terms, any_term):
    # Quoted, so FTS5 reads each term as a word, never as its query syntax.
    return (" OR " if any_term else " AND ").join(f'"{term}"' for term in terms)


def _tsquery(terms, any_term):
    return (" | " if any_term else " & ").join(terms)


def _ranked_matches(terms, any_term, best=None):
    """A subquery of (idea_id, rank), lower rank is better. Whole stemmed words only.

    With `best`, only that many of the best-ranked matches: ranking then sorts narrow rows in
    the search index instead of whole ideas, which matters when a common word matches thousands.
    """
    if _is_postgres():
        query = func.to_tsquery("english", _tsquery(terms, any_term))
        vector = literal_column("ideas.search_vector")
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
        matches = matches.order_by(rank).limit(best)
    return matches.subquery()


def filter_by_text(statement, query):
    """Narrow a select of ideas to those matching every word of `query`.

    Text with no searchable word (only stop words or punctuation) matches nothing.

    On SQLite the plan follows how many ideas match. Few: look each match up and sort them.
    Many (a word in one idea of COMMON_SHARE or more): walk the index of the select's order and
    test each idea against the matches, stopping at a page's worth; looking up and sorting 5,000
    matches of "dark mode" cost 16 ms, the walk 1 ms. PostgreSQL's planner weighs this itself.
    """
    terms = terms_of(query)
    if not terms:
        return statement.where(false())
    matches = _matching_ids(terms)
    idea_id = unindexed(Idea.id) if _walk_order_index(matches) else Idea.id
    return statement.where(idea_id.in_(matches))


def _matching_ids(terms):
    """A select of the ids of the ideas matching every term (unranked)."""
    if _is_postgres():
        query = func.to_tsquery("english", _tsquery(terms, any_term=False))
        return select(Idea.id).where(literal_column("ideas.search_vector").op("@@")(query))
    return (select(literal_column("idea_search.rowid")).select_from(text("idea_search"))
            .where(text("idea_search MATCH :fts_query").bindparams(fts_query=_fts5_query(terms, False))))


def _walk_order_index(matches):
    """Whether SQLite should walk the order's index rather than look the matches up (see above).

    Counting matches reads only the search index's lists (under a millisecond for 5,000);
    the highest idea id stands in for the number of ideas."""
    if _is_postgres():
        return False
    count = db.session.execute(select(func.count()).select_from(matches.subquery())).scalar_one()
    if count < COMMON_MIN:
        return False
    highest = db.session.execute(select(func.max(Idea.id))).scalar() or 0
    return count * COMMON_SHARE >= highest


def ranked_by_text(statement, query, best=RANKED_CANDIDATES):
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
