"""Ideas like the one being typed, so members back an existing idea instead of a duplicate."""

from .database import written_limit
from .extensions import db
from .search import ranked_by_text
from .visibility import listed_ideas

SIMILAR_LIMIT = 5


def similar_ideas(title, viewer, limit=SIMILAR_LIMIT):
    """Up to `limit` ideas `viewer` may see sharing stemmed words with `title`, best first."""
    statement = ranked_by_text(listed_ideas(viewer), title)
    if statement is None:
        return []
    return list(db.session.execute(statement.limit(written_limit(limit))).scalars())
