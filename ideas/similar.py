"""Ideas like the one being typed, so members back an existing idea instead of a duplicate."""

from .board import visible_ideas
from .extensions import db
from .search import ranked_by_text

SIMILAR_LIMIT = 5


def similar_ideas(title, limit=SIMILAR_LIMIT):
    """Up to `limit` visible ideas sharing stemmed words with `title`, most relevant first."""
    statement = ranked_by_text(visible_ideas(), title)
    if statement is None:
        return []
    return list(db.session.execute(statement.limit(limit)).scalars())
