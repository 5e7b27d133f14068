"""What the whole site shows: boards, tags, the roadmap, the changelog; and who is asking."""
from typing import Any

from flask import Response, g, jsonify, url_for
from flask_login import current_user

from ..board import boards_seen_by, tag_boards
from ..boards import MAIN_SLUG, main_board_name
from ..changelog import delivered_ideas, published_entries
from ..extensions import db
from ..models import KINDS
from ..status_list import label, statuses
from ..pulse import DEFAULT_WINDOW, WINDOWS, Topic, recent_pulse
from ..roadmap import COLUMN_LIMIT, SHIPPED_RECENT, roadmap_columns, roadmap_totals
from ..tags import TAG_NAME_MAX, tags_for
from ..visibility import is_staff
from ..voting import voted_idea_ids
from .fields import MAX_INT, Choice, Integer, Invalid, Query, Text
from .ideas import BOARD_FILTER, board_named, staff_segment
from .paging import PAGE_FIELDS, page_of
from .serializers import (
    BOOLEAN, DATE_TIME, INTEGER, SCHEMAS, STRING, URL, array, board_json, entry_json, idea_json, member_json,
    nullable, obj, ref, status_json, tag_json,
)
from .spec import operation

ROADMAP_QUERY = Query(kind=Choice(KINDS, "Only ideas of this kind."),
                      tag=Text(TAG_NAME_MAX, "Only ideas with the tag of this name."),
                      segment=Integer(1, MAX_INT, "Staff only: ideas proposed or backed by a member of "
                                                  "this segment (GET /segments)."),
                      board=BOARD_FILTER)
CHANGELOG_QUERY = Query(**PAGE_FIELDS)


class Window(Integer):
    """A number of days the pulse looks back: one of WINDOWS."""

    def __init__(self, description: str = "") -> None:
        super().__init__(min(WINDOWS), max(WINDOWS), description)

    def check(self, value: Any) -> int:
        value = super().check(value)
        if value not in WINDOWS:
            raise Invalid(f"Choose one of: {', '.join(map(str, WINDOWS))}.")
        return value

    def _schema(self) -> dict[str, Any]:
        return {"type": "integer", "enum": list(WINDOWS)}


PULSE_QUERY = Query(days=Window(f"How many days back to look (default {DEFAULT_WINDOW})."))
SCHEMAS.update({
    "PulseTopic": obj(
        "A tag or a word, with the activity of the period that mentioned it.",
        name=STRING, colour=nullable(STRING) | {"description": "A tag's colour; null for a word."},
        volume={**INTEGER, "description": "ideas + votes + comments."}, ideas=INTEGER, votes=INTEGER,
        comments=INTEGER,
        kinds=obj("The volume by kind of idea.", **{kind: INTEGER for kind in KINDS}),
        main_kind={"type": "string", "enum": list(KINDS)},
        url={**URL, "description": "The board, filtered by the tag or searching the word."},
    ),
    "Pulse": obj(
        "The most talked-about tags and words of the last days, loudest first.",
        days=INTEGER, since=DATE_TIME, computed_at=DATE_TIME,
        tags=array(ref("PulseTopic")), terms=array(ref("PulseTopic")),
        sampled={**BOOLEAN, "description": "Words were read from a sample of the period's activity."},
    ),
})


@operation("GET", "/boards", summary="List boards", group="Site", response="BoardList",
           description="The boards the asking reader may see, the main board (`main`) first; a site "
                       "with one board lists just that one. Staff also read who may see each board.")
def list_boards() -> Response:
    """The boards this reader may see, main first."""
    access = is_staff(current_user)
    return jsonify(boards=[
        board_json(MAIN_SLUG, main_board_name(), "", "public" if access else None),
        *(board_json(board.slug, board.name, board.description, board.access if access else None)
          for board in boards_seen_by(current_user)),
    ])


@operation("GET", "/statuses", summary="List statuses", group="Site", response="StatusList",
           description="The statuses admins defined, in their order (archived ones too, which staff no "
                       "longer choose). Ideas, filters, webhooks, feeds and CSV name a status by its `key`; "
                       "its `category` carries the rules: voting closes in `done` and `closed`, moving into "
                       "`closed` needs a public note. `merged` is a system status, not listed.")
def list_statuses() -> Response:
    """Every status, in the admins' order."""
    return jsonify(statuses=[status_json(status) for status in statuses()])


@operation("GET", "/tags", summary="List tags", group="Site", response="TagList")
def list_tags() -> Response:
    """The shared tags and those of the boards the reader may see, by name."""
    offered = tags_for(tag_boards(current_user))
    return jsonify(tags=[tag_json(tag) for tag in db.session.execute(offered).scalars()])


@operation("GET", "/roadmap", summary="Read the roadmap", group="Site", query=ROADMAP_QUERY,
           response="Roadmap",
           errors=(403, 404),
           description="Under review, Planned, In progress and recently Shipped of the boards the "
                       f"reader may see (or of one board), most votes first, at most {COLUMN_LIMIT} "
                       "ideas per column (`total` says how many there are). Staff may narrow it to "
                       "what a segment proposed or backs.")
def roadmap() -> Response:
    """The roadmap's columns, as this reader sees them."""
    filters = ROADMAP_QUERY.parse()
    if "segment" in filters:
        filters["segment"] = staff_segment(filters["segment"])
    if "board" in filters:
        filters["board"] = board_named(filters["board"])
    filters["reader"] = current_user
    columns = roadmap_columns(**filters)
    totals = roadmap_totals(**filters)
    voted = voted_idea_ids(current_user, [idea.id for ideas in columns.values() for idea in ideas])
    return jsonify(
        columns=[{"status": status, "label": label(status), "total": totals[status],
                  "ideas": [idea_json(idea, idea.id in voted) for idea in ideas]}
                 for status, ideas in columns.items()],
        shipped_days=SHIPPED_RECENT.days,
    )


@operation("GET", "/changelog", summary="Read the changelog", group="Site", query=CHANGELOG_QUERY,
           response="ChangelogPage",
           description="Published entries, newest first, with the ideas they deliver.")
def changelog() -> Response:
    """The published changelog, a page at a time, with the ideas it delivers (as the page shows them)."""
    entries, next_url = page_of(published_entries(), CHANGELOG_QUERY.parse())
    return jsonify(entries=[entry_json(entry, delivered_ideas(entry)) for entry in entries], next=next_url)


@operation("GET", "/me", summary="Who am I", group="Site", access="member", response="Member",
           description="The member the key or session acts for, with their role.")
def me() -> Response:
    """The asking member."""
    return jsonify(member_json(current_user, g.get("api_key")))


def _topic_json(topic: Topic, url: str) -> dict[str, Any]:
    return {"name": topic.name, "colour": topic.colour, "volume": topic.volume, "ideas": topic.ideas,
            "votes": topic.votes, "comments": topic.comments, "kinds": dict(topic.by_kind),
            "main_kind": topic.main_kind, "url": url}


@operation("GET", "/pulse", summary="Read the pulse", group="Site", query=PULSE_QUERY, response="Pulse",
           description="The tags and words with the most public activity (ideas, votes, comments) "
                       "of the last 7, 28 or 90 days, as the /pulse page shows them; "
                       "recomputed at most once a minute.")
def pulse() -> Response:
    """The pulse of the chosen period."""
    result = recent_pulse(PULSE_QUERY.parse().get("days", DEFAULT_WINDOW))
    return jsonify(
        days=result.days, since=result.since.isoformat(), computed_at=result.computed_at.isoformat(),
        tags=[_topic_json(topic, url_for("board.index", tag=topic.name, _external=True))
              for topic in result.tags],
        terms=[_topic_json(topic, url_for("board.index", q=topic.name, _external=True))
               for topic in result.terms],
        sampled=result.sampled,
    )
