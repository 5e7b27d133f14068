"""The kinds of boards: an admin made, changed or removed a board, staff moved an idea to another
board. Nobody is told of them (followers keep following a moved idea, and only those who may see
its new board hear of it from then on); the audit log keeps them, a move fires a webhook."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from ..registry import AuditEntry, EventKind, Payload, Webhook, register
from .common import Created, Updated, register_audited, register_created

if TYPE_CHECKING:
    from ...models import Board, Idea, User


def board_view(board: Board) -> Payload:
    """What the audit log keeps of a board: its name, address, order, access and who it opens to."""
    return {"name": board.name, "slug": board.slug, "description": board.description,
            "position": board.position, "access": board.access,
            "segments": [segment.name for segment in board.segments],
            "companies": [company.external_id for company in board.companies],
            "moderators": [member.id for member in board.moderators]}


class BoardCreated(Created["Board"]):
    """An admin made a board."""


class BoardUpdated(Updated["Board"]):
    """An admin changed a board: its name, order, access or moderators."""


@dataclass(frozen=True)
class BoardDeleted:
    """An admin removed an empty `board`, which was `before` (its board_view)."""

    actor: User
    board: Board
    before: Payload


register_created("board_created", BoardCreated, "board.created", board_view)
register(EventKind(
    name="board_updated", event_type=BoardUpdated,
    audit=AuditEntry("board.updated", lambda event: (event.target, event.before, board_view(event.target))),
    stale=("idea", "board", "roadmap"),
))
register_audited("board_deleted", BoardDeleted, "board.deleted",
                 lambda event: (event.board, event.before, None))


@dataclass(frozen=True)
class IdeaMoved:
    """Staff moved `idea` from the board called `before` to the one called `after` ("" is the
    main board): names as they were, like the timeline's entry."""

    actor: User
    idea: Idea
    before: str
    after: str


register(EventKind(
    name="idea_moved", event_type=IdeaMoved,
    webhook=Webhook("idea.moved", _l("An idea moves to another board"),
                    lambda event: {"idea": event.idea, "old_board": event.before, "new_board": event.after}),
    audit=AuditEntry("idea.moved",
                     lambda event: (event.idea, {"board": event.before}, {"board": event.after})),
    stale=("idea", "board", "roadmap"),
))
