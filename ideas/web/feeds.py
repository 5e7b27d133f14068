"""Atom feeds of the board, the roadmap, the changelog and each idea, for feed readers."""
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..board import board_filter, board_seen_at
from ..boards import main_board_name
from ..extensions import db
from ..feeds import FeedItem, board_feed, changelog_feed, idea_feed, roadmap_feed, visitors_see
from ..models import Board, Idea, utcnow
from ..visibility import VISITOR

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

# The date in every tag: URI (RFC 4151). Changing it changes every entry's id and makes feed
# readers show everything again, so it stays as it is.
TAG_DATE = "2026"
# Characters XML 1.0 forbids even when escaped; one of them in user text would break the whole feed.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@bp.app_template_filter("atom_date")
def atom_date(moment: datetime) -> str:
    """An RFC 3339 timestamp in UTC, as Atom wants it."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.get("/ideas.atom")
def ideas() -> Response:
    """The board's newest ideas."""
    return atom_response(board_feed(), "ideas", _("New ideas"), url_for("board.index", _external=True))


@bp.get("/roadmap.atom")
def roadmap() -> Response:
    """Status changes of the ideas everyone sees, newest first."""
    return atom_response(roadmap_feed(), "roadmap", _("Roadmap"), url_for("roadmap.index", _external=True))


@bp.get("/boards/<slug>/ideas.atom")
def board_ideas(slug: str) -> Response:
    """One board's newest ideas: a board visitors may see (404 for any other)."""
    board = _visitors_board(slug)
    return atom_response(board_feed(board=board_filter(board)), f"ideas-{slug}",
                         _("New ideas on %(board)s", board=board_name_of(board)),
                         url_for("board.show", slug=slug, _external=True))


@bp.get("/boards/<slug>/roadmap.atom")
def board_roadmap(slug: str) -> Response:
    """Status changes on one board visitors may see."""
    board = _visitors_board(slug)
    return atom_response(roadmap_feed(board=board_filter(board)), f"roadmap-{slug}",
                         _("Roadmap of %(board)s", board=board_name_of(board)),
                         url_for("roadmap.index", board=slug, _external=True))


def _visitors_board(slug: str) -> Board | Literal["main"]:
    """A feed is the same for everyone: only a board a signed-out visitor may see has one."""
    board = board_seen_at(VISITOR, slug)
    if board is None:
        abort(404)
    return board


def board_name_of(board: Board | Literal["main"]) -> str:
    return main_board_name() if isinstance(board, str) else board.name


@bp.get("/changelog.atom")
def changelog() -> Response:
    """Published changelog entries, newest first, with the ideas each delivers."""
    return atom_response(changelog_feed(), "changelog", _("Changelog"),
                         url_for("changelog.index", _external=True))


# Ids are 32-bit on PostgreSQL: a larger number is no idea, not a database error.
@bp.get("/ideas/<id:idea_id>.atom")
def idea(idea_id: int) -> Response:
    """One idea's story: the idea, its status changes, official responses and comments."""
    idea = db.session.get(Idea, idea_id)
    if idea is None or not visitors_see(idea):
        abort(404)
    return atom_response(idea_feed(idea), f"idea-{idea.id}", idea.title,
                         url_for("ideas.show", idea_id=idea.id, _external=True))


def atom_response(items: Sequence[FeedItem], name: str, title: str, alternate: str) -> Response:
    """The feed as Atom; readers that poll get 304 while nothing changed."""
    tag = f"tag:{urlsplit(request.host_url).hostname or 'localhost'},{TAG_DATE}:"
    body = render_template(
        "feeds/feed.xml", items=items, tag_prefix=tag, feed_id=f"{tag}feed-{name}", title=title,
        alternate=alternate,
        # Only the feed views call this: the request has an endpoint and view arguments.
        self_url=url_for(request.endpoint, _external=True, **request.view_args,  # type: ignore[arg-type]
                         token=request.args.get("token") or None),
        updated=max((item.updated for item in items), default=utcnow()),
    )
    response = current_app.response_class(NOT_XML.sub("", body), mimetype="application/atom+xml")
    response.cache_control.no_cache = True
    response.add_etag()
    return response.make_conditional(request)
