"""What the API answers: each object's JSON and, beside it, the schema the OpenAPI document gives it.

Internal notes and hidden comments reach only staff: the queries that feed these functions
(`comments_on`, the loaders) already leave them out for everyone else.
"""
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import url_for

from ..attachments import AttachmentRow
from ..board_access import board_slugs
from ..status_list import CATEGORIES, Status, StatusKeys, label, voting_open
from ..models import (
    ATTACHMENT_TYPES, BOARD_ACCESS, IMPORTANCES, KINDS, ApiKey, Attachment, ChangelogEntry, Comment, Idea,
    Tag, TimelineEntry, User, Vote,
)

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATE_TIME = {"type": "string", "format": "date-time"}
URL = {"type": "string", "format": "uri"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema, or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> dict[str, Any]:
    """A reference to a schema of the document's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def array(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": schema}


def obj(about: str, /, **properties: dict[str, Any]) -> dict[str, Any]:
    """An object whose properties are all always present, and nothing else."""
    return {"type": "object", "description": about, "properties": properties,
            "required": list(properties), "additionalProperties": False}


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def person_json(member: User) -> dict[str, Any]:
    return {"id": member.id, "name": member.name, "handle": member.handle}


def backer_note_json(vote: Vote, member: User) -> dict[str, Any]:
    """A backer's importance and private note: staff answers only (api.backer_notes)."""
    return {"member": person_json(member), "importance": vote.importance, "note": vote.note,
            "voted_at": _time(vote.created_at)}


def status_json(status: Status) -> dict[str, Any]:
    """A status as admins defined it (its label in English, the API's language, and per language)."""
    return {"key": status.key, "label": status.label, "labels": dict(status.labels),
            "category": status.category, "colour": status.colour or None, "symbol": status.symbol or None,
            "on_roadmap": status.on_roadmap, "archived": status.archived}


def tag_json(tag: Tag) -> dict[str, Any]:
    """A tag, with the slug of the one board it belongs to (None: shared by every board)."""
    return {"id": tag.id, "name": tag.name, "colour": tag.colour,
            "board": board_slugs()[tag.board_id] if tag.board_id is not None else None}


def board_json(slug: str, name: str, description: str, access: str | None) -> dict[str, Any]:
    """A board a reader may see; who may see it (`access`) only for staff, else None (left out)."""
    board = {"slug": slug, "name": name, "description": description}
    return board if access is None else {**board, "access": access}


def idea_json(idea: Idea, voted: bool = False) -> dict[str, Any]:
    """An idea as lists show it; `voted` is whether the asking member backs it. Its board by slug,
    from every board's slug read once per request (no query per idea)."""
    return {
        "id": idea.id,
        "title": idea.title,
        "description": idea.description,
        "description_html": idea.description_html,
        "kind": idea.kind,
        "status": idea.status,
        "status_label": label(idea.status),
        "board": board_slugs()[idea.board_id],
        "vote_count": idea.vote_count,
        "imported_vote_count": idea.imported_vote_count,
        "comment_count": idea.comment_count,
        "tags": [tag.name for tag in idea.tags],
        "author": person_json(idea.author),
        "created_at": _time(idea.created_at),
        "updated_at": _time(idea.updated_at),
        "status_changed_at": _time(idea.status_changed_at),
        "edited_at": _time(idea.edited_at),
        "merged_into": idea.merged_into_id,
        "voting_open": voting_open(idea),
        "awaiting_approval": idea.awaiting_approval,
        "hidden": idea.hidden_at is not None,
        "withdrawn": idea.withdrawn_at is not None,
        "voted": voted,
        "url": url_for("ideas.show", idea_id=idea.id, _external=True),
    }


def idea_detail_json(idea: Idea, voted: bool, follow_level: str | None, followers: int,
                     official: Comment | None, timeline: Iterable[TimelineEntry],
                     images: Iterable[AttachmentRow] = ()) -> dict[str, Any]:
    """An idea with what its page shows beside it: followers, official response, timeline, screenshots."""
    return {
        **idea_json(idea, voted),
        "following": follow_level is not None,
        "follow_level": follow_level,
        "follower_count": followers,
        "official_response": comment_json(official) if official is not None else None,
        "timeline": [timeline_json(entry) for entry in timeline],
        "attachments": [attachment_json(image) for image in images],
    }


def attachment_json(image: AttachmentRow | Attachment) -> dict[str, Any]:
    """A screenshot on a post: where to fetch it and its thumbnail (only readers of the post may)."""
    return {
        "id": image.id,
        "url": url_for("attachments.image", attachment_id=image.id, _external=True),
        "thumbnail_url": url_for("attachments.thumbnail", attachment_id=image.id, _external=True),
        "width": image.width,
        "height": image.height,
        "content_type": image.content_type,
    }


def timeline_json(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "action": entry.action,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "note": entry.note,
        "note_html": entry.note_html,
        "related_idea": entry.related_idea_id,
        "board_name": entry.board_name,
        "actor": person_json(entry.actor),
        "created_at": _time(entry.created_at),
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "idea_id": comment.idea_id,
        "author": person_json(comment.author),
        "body": comment.body,
        "body_html": comment.body_html,
        "parent_id": comment.parent_id,
        "official": comment.official,
        "internal": comment.internal,
        "hidden": comment.hidden_at is not None,
        "deleted": comment.deleted_at is not None,
        "created_at": _time(comment.created_at),
        "edited_at": _time(comment.edited_at),
    }


def member_json(member: User, api_key: ApiKey | None = None) -> dict[str, Any]:
    """The asking member, and the key they used (None when signed in with the session cookie)."""
    return {
        "id": member.id,
        "name": member.name,
        "handle": member.handle,
        "email": member.email,
        "role": member.role,
        "confirmed": member.is_confirmed,
        "created_at": _time(member.created_at),
        "api_key": {"name": api_key.name, "prefix": api_key.prefix} if api_key is not None else None,
    }


def entry_json(entry: ChangelogEntry, ideas: Iterable[Idea]) -> dict[str, Any]:
    """A published changelog entry with the ideas it delivers that the reader may see."""
    return {
        "id": entry.id,
        "title": entry.title,
        "body": entry.body,
        "body_html": entry.body_html,
        "published_at": _time(entry.published_at),
        "ideas": [{"id": idea.id, "title": idea.title, "status": idea.status} for idea in ideas],
    }


HANDLE = nullable(STRING) | {"description": "What `@mentions` call the member: 2 to 30 lower case letters, "
                                            "digits or _ (null only briefly, for an account just imported)."}
PERSON = obj("A member, as others see them.", id=INTEGER, name=STRING, handle=HANDLE)
NEXT = nullable(URL) | {"description": "The next page, or null on the last one."}
# The admins' statuses, merged too: read when the OpenAPI document is made (spec.openapi_document).
ALL_STATUSES = StatusKeys("all")

SCHEMAS = {
    "Person": PERSON,
    "Tag": obj("A tag staff put on ideas.", id=INTEGER, name=STRING, colour=STRING,
               board=nullable(STRING) | {"description": "The slug of the one board whose ideas it is for; "
                                                        "null: shared by every board."}),
    "Idea": obj(
        "An idea, a problem or praise.",
        id=INTEGER, title=STRING, description={**STRING, "description": "Markdown, as written."},
        description_html={**STRING, "description": "The description rendered and sanitised."},
        kind={"type": "string", "enum": list(KINDS)},
        status={"type": "string", "enum": ALL_STATUSES},
        status_label=STRING,
        board={**STRING, "description": "The slug of the board the idea is on (GET /boards); "
                                        "main for the main board."},
        vote_count=INTEGER,
        imported_vote_count={**INTEGER,
                             "description": "Votes carried over from another tool without voters."},
        comment_count=INTEGER, tags=array(STRING), author=ref("Person"),
        created_at=DATE_TIME, updated_at=DATE_TIME, status_changed_at=nullable(DATE_TIME),
        edited_at=nullable(DATE_TIME), merged_into=nullable(INTEGER), voting_open=BOOLEAN,
        awaiting_approval=BOOLEAN, hidden=BOOLEAN, withdrawn=BOOLEAN,
        voted={**BOOLEAN, "description": "Whether the asking member backs the idea."},
        url={**URL, "description": "The idea's page."},
    ),
    "TimelineEntry": obj(
        "One step of an idea's history.",
        action=STRING, from_status=nullable(STRING), to_status=nullable(STRING), note=STRING,
        note_html=STRING, related_idea=nullable(INTEGER),
        board_name=nullable(STRING) | {"description": "moved: the name the board it went to had then "
                                                 "(empty: the main board); null for other steps."},
        actor=ref("Person"), created_at=DATE_TIME,
    ),
    "Comment": obj(
        "A comment; internal notes and hidden comments reach staff only.",
        id=INTEGER, idea_id=INTEGER, author=ref("Person"), body=STRING, body_html=STRING,
        parent_id=nullable(INTEGER) | {"description": "The comment this one replies to; null for a comment."},
        official=BOOLEAN, internal=BOOLEAN, hidden=BOOLEAN, deleted=BOOLEAN, created_at=DATE_TIME,
        edited_at=nullable(DATE_TIME),
    ),
    "Member": obj(
        "The asking member.",
        id=INTEGER, name=STRING, handle=HANDLE, email=STRING,
        role={"type": "string", "enum": ["member", "staff", "admin"]},
        confirmed=BOOLEAN, created_at=DATE_TIME,
        api_key=nullable(obj("The key this request used.", name=STRING, prefix=STRING)),
    ),
    "ChangelogEntry": obj(
        "A published note on what shipped.",
        id=INTEGER, title=STRING, body=STRING, body_html=STRING, published_at=DATE_TIME,
        ideas=array(obj("A delivered idea.", id=INTEGER, title=STRING,
                        status={"type": "string", "enum": ALL_STATUSES})),
    ),
    "Vote": obj(
        "A member's backing of an idea after the request.",
        idea_id=INTEGER, member_id=INTEGER, voted=BOOLEAN,
        changed={**BOOLEAN, "description": "False when no vote was added or removed (already so)."},
        vote_count=INTEGER,
        importance=nullable({"type": "string", "enum": list(IMPORTANCES)})
        | {"description": "How much the idea matters to the voter; null: not said (or no vote)."},
        note=nullable(STRING)
        | {"description": "The voter's private note to the product team; null: no vote."},
    ),
    "BackerNote": obj(
        "How much an idea matters to one backer, and their private note (staff only).",
        member=ref("Person"), importance=nullable({"type": "string", "enum": list(IMPORTANCES)}),
        note=STRING, voted_at=DATE_TIME,
    ),
    "Follow": obj(
        "Whether the asking member follows the idea after the request.",
        idea_id=INTEGER, following=BOOLEAN,
        level=nullable({"type": "string", "enum": ["status", "all"]}), follower_count=INTEGER,
    ),
    "Attachment": obj(
        "A screenshot on an idea or a comment (PNG, JPEG or WebP, re-encoded, at most 2,000 px on "
        "the long side). Its URLs answer only readers who may see the post.",
        id=INTEGER, url={**URL, "description": "The image."},
        thumbnail_url={**URL, "description": "A thumbnail of at most 400 px on the long side (WebP)."},
        width=INTEGER, height=INTEGER,
        content_type={"type": "string", "enum": list(ATTACHMENT_TYPES)},
    ),
    "Error": obj(
        "What went wrong.",
        error=obj("The error.", code=STRING, message=STRING,
                  fields={"type": "object", "additionalProperties": STRING,
                          "description": "A problem per field, for 422."}),
    ),
}
SCHEMAS["Board"] = obj(
    "A board: a community of its own, with its ideas and roadmap.",
    slug={**STRING, "description": "What `board` names it by (filters, new ideas, moves); main for "
                                   "the main board."},
    name=STRING, description={**STRING, "description": "As admins wrote it (plain text)."},
    access={"type": "string", "enum": list(BOARD_ACCESS),
            "description": "Staff only: who may see the board (public: whoever may use the site; "
                           "members: signed-in members; chosen: members of its segments or companies; "
                           "staff: the team)."},
)
SCHEMAS["Board"]["required"] = ["slug", "name", "description"]
SCHEMAS["IdeaDetail"] = {
    **SCHEMAS["Idea"],
    "description": "An idea with its followers, official response and timeline.",
    "properties": {
        **SCHEMAS["Idea"]["properties"],
        "following": BOOLEAN,
        "follow_level": nullable({"type": "string", "enum": ["status", "all"]}),
        "follower_count": INTEGER,
        "official_response": nullable(ref("Comment")),
        "timeline": array(ref("TimelineEntry")),
        "attachments": array(ref("Attachment")) | {"description": "Its screenshots, in order."},
    },
}
SCHEMAS["IdeaDetail"]["required"] = list(SCHEMAS["IdeaDetail"]["properties"])
SCHEMAS.update({
    "OpenApiDocument": {"type": "object", "description": "An OpenAPI 3.1 document: this one."},
    "IdeaList": obj("A page of ideas.", ideas=array(ref("Idea")), next=NEXT),
    "CommentList": obj("A page of comments, oldest first.", comments=array(ref("Comment")), next=NEXT),
    "BackerNoteList": obj("What an idea's backers told the product team.", notes=array(ref("BackerNote"))),
    "TagList": obj("Every tag, by name.", tags=array(ref("Tag"))),
    "Status": obj(
        "A status admins defined.",
        key={**STRING, "description": "Never changes: what ideas, filters, webhooks, feeds and CSV carry."},
        label=STRING,
        labels={"type": "object", "additionalProperties": STRING,
                "description": "The admins' label per language; empty for a default status's built-in one."},
        category={"type": "string", "enum": list(CATEGORIES)},
        colour=nullable(STRING), symbol=nullable(STRING), on_roadmap=BOOLEAN,
        archived={**BOOLEAN, "description": "No longer offered to staff; ideas in it keep it."},
    ),
    "StatusList": obj("The statuses, in the admins' order.", statuses=array(ref("Status"))),
    "BoardList": obj("The boards the asking reader may see: the main board first, then the others in "
                     "the admins' order.", boards=array(ref("Board"))),
    "ChangelogPage": obj("A page of the changelog, newest first.", entries=array(ref("ChangelogEntry")),
                         next=NEXT),
    "Roadmap": obj(
        "The public roadmap: a column per status, most votes first.",
        columns=array(obj("A column.", status=STRING, label=STRING,
                          total={**INTEGER, "description": "Ideas in the column in all."},
                          ideas=array(ref("Idea")))),
        shipped_days={**INTEGER, "description": "How long shipped ideas stay on the roadmap."},
    ),
})
