"""Ideas: the board's list, proposing, reading, the author's edits and withdrawal."""
from typing import Any

from flask import Response, abort, current_app, jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..attachments import PER_POST, attachments_of
from ..board import SORTS, WITH_TAGS, board_query, board_seen_at
from ..board_access import MAIN
from ..boards import MAIN_SLUG, board_chosen
from ..comments import official_response
from ..errors import InvalidInput
from ..extensions import db, limiter
from ..models import BOARD_SLUG_MAX, DESCRIPTION_MAX, KINDS, TITLE_MAX, Board, Idea, Segment, Tag
from ..status_list import LISTED_STATUSES
from ..segments import backed_by, filtering_segment
from ..proposals import change_idea, check_may_change_idea, propose_idea, withdraw_idea
from ..statuses import history_of
from ..tags import TAG_NAME_MAX
from ..voting import standing, voted_idea_ids
from ..web.plumbing import get_idea as load_idea
from .fields import MAX_INT, Body, Choice, Integer, Query, Text, TextList
from .paging import PAGE_FIELDS, page_of
from .responses import created, no_content
from .serializers import idea_detail_json, idea_json
from .spec import operation

TAGS_MAX = 20
SEARCH_MAX = 200
BOARD_FILTER = Text(BOARD_SLUG_MAX, "Only the ideas of the board with this slug (GET /boards; main: the "
                                    "main board). A board the reader may not see is not found (404).")

LIST_QUERY = Query(
    status=Choice(LISTED_STATUSES, "Only ideas in this status (GET /statuses lists them)."),
    kind=Choice(KINDS, "Only ideas of this kind."),
    tag=Text(TAG_NAME_MAX, "Only ideas with the tag of this name."),
    q=Text(SEARCH_MAX, "Full-text search: ideas matching any of the words, most words first, then the "
                       "sort; a very common word finds nothing by itself beside rarer ones."),
    sort=Choice(SORTS, "The order (default trending)."),
    segment=Integer(1, MAX_INT, "Staff only: ideas proposed or backed by a member of this segment "
                                "(GET /segments)."),
    board=BOARD_FILTER,
    **PAGE_FIELDS,
)
TAG_NAMES = TextList(Text(TAG_NAME_MAX), TAGS_MAX, "Tag names, from GET /tags.", example=[])
IDEA_FIELDS = dict(
    title=Text(TITLE_MAX, "A short title.", example="Add a dark mode"),
    description=Text(DESCRIPTION_MAX, "Markdown."),
    kind=Choice(KINDS, "idea (a suggestion), problem (a complaint) or praise (a compliment)."),
    tags=TAG_NAMES,
)
NEW_IDEA = Body({**IDEA_FIELDS, "title": Text(TITLE_MAX, "A short title.", required=True,
                                               example="Add a dark mode"),
                 "board": Text(BOARD_SLUG_MAX, "The slug of the board to post it on, one the member may "
                                               "see (GET /boards); main (the default): the main board.",
                               example=MAIN_SLUG),
                 "attachments": TextList(Integer(1, MAX_INT), PER_POST,
                                         "The ids of screenshots the member uploaded (POST /attachments) "
                                         "in the last 24 hours, shown with the idea in this order.",
                                         example=[])})
IDEA_CHANGES = Body(IDEA_FIELDS, min_properties=1)


def tags_named(names: list[str]) -> list[Tag]:
    """The tags called `names`, in that order, in one query; InvalidInput naming any that does not exist."""
    if not names:
        return []
    found = {tag.name: tag for tag in db.session.execute(select(Tag).where(Tag.name.in_(names))).scalars()}
    unknown = [name for name in names if name not in found]
    if unknown:
        raise InvalidInput(_("Choose tags from the list."),
                           {"tags": _("There is no tag called %(names)s.", names=", ".join(unknown))})
    return [found[name] for name in names]


def tag_ids_named(names: list[str]) -> list[int]:
    """The ids of the tags called `names`, as the domain's idea fields take them."""
    return [tag.id for tag in tags_named(names)]


def staff_segment(segment_id: int) -> Segment:
    """The segment a staff member filters by; 401 or 403 for anyone else, whose lists it never narrows."""
    if not current_user.is_authenticated:
        abort(401)
    if not current_user.is_staff:
        abort(403)
    return filtering_segment(segment_id)


def board_named(slug: str) -> int:
    """The `board_query` filter of the board at `slug` (main: the main board, even on a site with
    one board); 404 when the reader may not see it or there is none, which are not told apart."""
    if slug == MAIN_SLUG:
        return MAIN
    board = board_seen_at(current_user, slug)
    if not isinstance(board, Board):
        abort(404)
    return board.id



def detail(idea: Idea) -> dict[str, Any]:
    """The idea as GET /ideas/{id} answers it."""
    timeline = history_of(idea)
    reader = standing(current_user, idea)
    return idea_detail_json(idea, reader.voted, reader.follow_level, reader.followers,
                            official_response(idea), timeline,
                            attachments_of(idea_ids=[idea.id]).ideas.get(idea.id, []))


@operation("GET", "/ideas", summary="List ideas", group="Ideas", query=LIST_QUERY, response="IdeaList",
           errors=(403, 404),
           description="The ideas of the boards the reader may see (or of one board): filtered, "
                       "sorted, a page at a time; follow `next` for more.")
def list_ideas() -> Response:
    """The board's ideas this member may see."""
    args = LIST_QUERY.parse()
    filters = {name: args[name] for name in ("status", "kind", "tag", "q", "sort") if name in args}
    board = board_named(args["board"]) if "board" in args else None
    statement = board_query(current_user, **filters, board=board).options(WITH_TAGS)
    if "segment" in args:
        statement = statement.where(backed_by(staff_segment(args["segment"])))
    ideas, next_url = page_of(statement, args)
    voted = voted_idea_ids(current_user, [idea.id for idea in ideas])
    return jsonify(ideas=[idea_json(idea, idea.id in voted) for idea in ideas], next=next_url)


@operation("POST", "/ideas", summary="Propose an idea", group="Ideas", access="member", body=NEW_IDEA,
           response="IdeaDetail", status=201, errors=(403,), headers={"Location": "The new idea."},
           description="On the main board unless `board` names another the member may see. The "
                       "author follows and backs it (one vote, which they may withdraw). "
                       "Rate limited like the page.")
@limiter.limit(lambda: current_app.config["RATELIMIT_PROPOSE"])
def create_idea() -> Response:
    """Post a new idea as the asking member."""
    data = NEW_IDEA.parse()
    idea = propose_idea(current_user, data["title"], data.get("description", ""), data.get("kind", "idea"),
                        tag_ids_named(data.get("tags", [])), board=board_chosen(data.get("board")),
                        attachment_ids=data.get("attachments", []))
    db.session.commit()
    return created(detail(idea), url_for("api.get_idea", idea_id=idea.id, _external=True))


@operation("GET", "/ideas/<id:idea_id>", summary="Read an idea", group="Ideas", response="IdeaDetail",
           description="Hidden, withdrawn and waiting ideas are found only by those the pages show them to.")
def get_idea(idea_id: int) -> Response:
    """One idea with its followers, official response and timeline."""
    return jsonify(detail(load_idea(idea_id)))


@operation("PATCH", "/ideas/<id:idea_id>", summary="Change an idea", group="Ideas", access="member",
           body=IDEA_CHANGES, response="IdeaDetail", errors=(403,),
           description="The author, while it is New and within an hour of posting; staff at any time. "
                       "Fields left out keep their value.")
def update_idea(idea_id: int) -> Response:
    """The author corrects their idea, or staff clarify it."""
    idea = load_idea(idea_id)
    check_may_change_idea(current_user, idea)  # refused before the body is read
    data = IDEA_CHANGES.parse()
    change_idea(current_user, idea, title=data.get("title"), description=data.get("description"),
                kind=data.get("kind"), tag_ids=tag_ids_named(data["tags"]) if "tags" in data else None)
    db.session.commit()
    return jsonify(detail(idea))


@operation("DELETE", "/ideas/<id:idea_id>", summary="Withdraw an idea", group="Ideas", access="member",
           errors=(403,), status=204,
           description="The author, while it is New and within an hour: it leaves the board and its "
                       "backers are told; the record stays for staff.")
def withdraw(idea_id: int) -> Response:
    """The author withdraws their idea."""
    withdraw_idea(current_user, load_idea(idea_id))
    db.session.commit()
    return no_content()
