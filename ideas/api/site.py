"""What the whole site shows: tags, the roadmap, the changelog; and who is asking."""
from flask import g, jsonify
from flask_login import current_user

from ..board import all_tags
from ..changelog import delivered_ideas, published_entries
from ..extensions import db
from ..models import KINDS, STATUS_LABELS
from ..roadmap import SHIPPED_RECENT, roadmap_columns, roadmap_totals
from ..tags import TAG_NAME_MAX
from ..voting import voted_idea_ids
from .fields import Choice, Query, Text
from .paging import PAGE_FIELDS, page_of
from .serializers import entry_json, idea_json, member_json, tag_json
from .spec import operation

ROADMAP_QUERY = Query(kind=Choice(KINDS, "Only ideas of this kind."),
                      tag=Text(TAG_NAME_MAX, "Only ideas with the tag of this name."))
CHANGELOG_QUERY = Query(**PAGE_FIELDS)


@operation("GET", "/tags", summary="List tags", group="Site", response="TagList")
def list_tags():
    """Every tag, by name."""
    return jsonify(tags=[tag_json(tag) for tag in db.session.execute(all_tags()).scalars()])


@operation("GET", "/roadmap", summary="Read the roadmap", group="Site", query=ROADMAP_QUERY,
           response="Roadmap",
           description="Under review, Planned, In progress and recently Shipped, most votes first, "
                       "at most 50 ideas per column (`total` says how many there are).")
def roadmap():
    """The public roadmap's columns."""
    filters = ROADMAP_QUERY.parse()
    columns = roadmap_columns(**filters)
    totals = roadmap_totals(**filters)
    voted = voted_idea_ids(current_user, [idea.id for ideas in columns.values() for idea in ideas])
    return jsonify(
        columns=[{"status": status, "label": STATUS_LABELS[status], "total": totals[status],
                  "ideas": [idea_json(idea, idea.id in voted) for idea in ideas]}
                 for status, ideas in columns.items()],
        shipped_days=SHIPPED_RECENT.days,
    )


@operation("GET", "/changelog", summary="Read the changelog", group="Site", query=CHANGELOG_QUERY,
           response="ChangelogPage",
           description="Published entries, newest first, with the ideas they deliver.")
def changelog():
    """The published changelog, a page at a time, with the ideas it delivers (as the page shows them)."""
    entries, next_url = page_of(published_entries(), CHANGELOG_QUERY.parse())
    return jsonify(entries=[entry_json(entry, delivered_ideas(entry)) for entry in entries], next=next_url)


@operation("GET", "/me", summary="Who am I", group="Site", access="member", response="Member",
           description="The member the key or session acts for, with their role.")
def me():
    """The asking member."""
    return jsonify(member_json(current_user, g.get("api_key")))
