"""Ideas like the one being typed, so members back an existing idea instead of a duplicate."""
from flask_login import AnonymousUserMixin

from .database import written_limit
from .extensions import db
from .models import Idea, User
from .search import ranked_by_text
from .visibility import listed_ideas

SIMILAR_LIMIT = 5


def similar_ideas(title: str, viewer: User | AnonymousUserMixin, limit: int = SIMILAR_LIMIT) -> list[Idea]:
    """Up to `limit` ideas `viewer` may see sharing stemmed words with `title`, best first."""
    statement = ranked_by_text(listed_ideas(viewer), title)
    if statement is None:
        return []
    return list(db.session.execute(statement.limit(written_limit(limit))).scalars())
