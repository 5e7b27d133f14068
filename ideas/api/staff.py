"""The product team's work on an idea: status with a public note, merging duplicates, tags, the
board it is on."""
from flask import Response, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ..boards import MAIN_SLUG, board_chosen, move_idea
from ..errors import InvalidInput
from ..extensions import db
from ..merging import merge_ideas, undo_merge
from ..models import BOARD_SLUG_MAX, Idea
from ..statuses import NOTE_MAX, SETTABLE_STATUSES, change_status
from ..tags import TAG_NAME_MAX, add_tag, remove_tag
from ..web.plumbing import get_idea as load_idea
from .fields import MAX_INT, Body, Choice, Integer, Text, TextList
from .ideas import TAGS_MAX, detail, tags_named
from .spec import operation

STATUS_CHANGE = Body({
    "status": Choice(SETTABLE_STATUSES, "The new status (merged is set only by merging).", required=True,
                     example="planned"),
    "note": Text(NOTE_MAX, "The public note followers read; required when declining."),
})
MERGE = Body({"into": Integer(1, MAX_INT, "The surviving idea's id.", required=True, example=2)})
MOVE = Body({"board": Text(BOARD_SLUG_MAX, "The slug of the board to move it to (GET /boards; main: "
                                          "the main board).", required=True, example=MAIN_SLUG)})
TAGGING = Body({"tags": TextList(Text(TAG_NAME_MAX), TAGS_MAX, "Every tag the idea should carry, by name.",
                                 required=True, example=[])})


@operation("POST", "/ideas/<id:idea_id>/status", summary="Change an idea's status", group="Staff",
           access="staff", body=STATUS_CHANGE, response="IdeaDetail",
           description="Followers are told, with the note; the timeline keeps the step.")
def set_status(idea_id: int) -> Response:
    """Move the idea to another status with a public note."""
    idea = load_idea(idea_id)
    data = STATUS_CHANGE.parse()
    change_status(current_user, idea, data["status"], data.get("note", ""))
    db.session.commit()
    return jsonify(detail(idea))


@operation("POST", "/ideas/<id:idea_id>/merge", summary="Merge a duplicate", group="Staff",
           access="staff", body=MERGE, response="IdeaDetail",
           description="This idea's votes and followers move to `into`; a member who backed both "
                       "counts once. Answers the merged idea.")
def merge(idea_id: int) -> Response:
    """Merge this idea into another."""
    idea = load_idea(idea_id)
    data = MERGE.parse()
    target = db.session.get(Idea, data["into"])
    if target is None:  # the page's words: a field problem, not a missing page
        raise InvalidInput(_("No such idea."),
                           {"into": _("There is no idea #%(number)s.", number=data["into"])})
    merge_ideas(current_user, idea, target)
    db.session.commit()
    return jsonify(detail(idea))


@operation("DELETE", "/ideas/<id:idea_id>/merge", summary="Undo a merge", group="Staff",
           access="staff", response="IdeaDetail", errors=(409,),
           description="Votes and followers go back where nothing changed since the merge.")
def unmerge(idea_id: int) -> Response:
    """Undo the merge of this idea."""
    idea = load_idea(idea_id)
    undo_merge(current_user, idea)
    db.session.commit()
    return jsonify(detail(idea))


@operation("PUT", "/ideas/<id:idea_id>/tags", summary="Set an idea's tags", group="Staff",
           access="staff", body=TAGGING, response="IdeaDetail",
           description="Tags not listed are taken off; listed ones are put on.")
def set_tags(idea_id: int) -> Response:
    """Make the idea carry exactly the listed tags."""
    idea = load_idea(idea_id)
    wanted = tags_named(TAGGING.parse()["tags"])
    for tag in list(idea.tags):
        if tag not in wanted:
            remove_tag(current_user, idea, tag)
    for tag in wanted:
        add_tag(current_user, idea, tag)
    db.session.commit()
    return jsonify(detail(idea))


@operation("PUT", "/ideas/<id:idea_id>/board", summary="Move an idea to another board", group="Staff",
           access="staff", body=MOVE, response="IdeaDetail",
           description="The board's access holds at once; followers keep following, and the timeline "
                       "keeps the step. Moving it where it is changes nothing.")
def set_board(idea_id: int) -> Response:
    """Put the idea on the named board."""
    idea = load_idea(idea_id)
    move_idea(current_user, idea, board_chosen(MOVE.parse()["board"]))
    db.session.commit()
    return jsonify(detail(idea))

