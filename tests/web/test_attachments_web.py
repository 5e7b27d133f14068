"""Screenshots on the pages (ideas/web/attachments.py): uploading with and without JavaScript,
posting them with an idea, keeping them through a refused post, and serving each image only to
readers who may see its post, in a sandbox; the upload's own body limit leaves the site's alone."""
import io
import json
import re

import pytest
from sqlalchemy import select

from helpers import htmx_headers
from ideas.api_keys import create_api_key
from ideas.attachments import attach, upload
from ideas.boards import create_board
from ideas.comments import add_comment
from ideas.extensions import db
from ideas.models import Attachment, Comment, Idea, User
from ideas.moderation import hide_idea
from ideas.segments import create_segment

import image_files

NOT_AN_IMAGE = "This file is not a PNG, JPEG or WebP image."


def _send(client, data=None, name="screenshot.png", headers=None, next_url="/ideas/new", form_id="idea-form"):
    """POST one file to the upload endpoint, as the page's upload form does."""
    return client.post("/attachments", data={
        "image": (io.BytesIO(image_files.png() if data is None else data), name),
        "next": next_url, "form_id": form_id,
    }, content_type="multipart/form-data", headers=headers or {})


def _pending_ids(fetch, member):
    return fetch(lambda: list(db.session.execute(
        select(Attachment.id).where(Attachment.uploader_id == member.id, Attachment.idea_id.is_(None),
                                    Attachment.comment_id.is_(None))).scalars()))


def _uploaded(app, member, **post):
    """An upload of `member`'s, attached to a post when `idea=` or `comment=` (ids) is given."""
    with app.app_context():
        uploader = db.session.get_one(User, member.id)
        attachment = upload(uploader, image_files.png(), "shot.png")
        if "idea" in post:
            attach(uploader, [attachment.id], idea=db.session.get_one(Idea, post["idea"]))
        if "comment" in post:
            attach(uploader, [attachment.id], comment=db.session.get_one(Comment, post["comment"]))
        db.session.commit()
        return attachment.id


def test_without_javascript_an_upload_comes_back_ticked_and_is_posted_with_the_idea(client, auth, make_user,
                                                                                    fetch):
    member = make_user()
    auth.login(member)
    page = client.get("/ideas/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'accept="image/png,image/jpeg,image/webp"' in page
    assert "Upload screenshot" in page

    response = _send(client)
    assert response.status_code == 303 and response.headers["Location"].endswith("/ideas/new")
    [attachment_id] = _pending_ids(fetch, member)
    page = client.get("/ideas/new").get_data(as_text=True)
    checkbox = re.search(rf'<input type="checkbox" name="attachments" value="{attachment_id}"[^>]*>', page)
    assert checkbox and 'form="idea-form"' in checkbox.group(0) and "checked" in checkbox.group(0)
    assert 'id="idea-form"' in page and 'form="idea-form" class="button button-primary"' in page

    response = client.post("/ideas/new", data={"title": "Export to PDF", "kind": "idea",
                                               "attachments": str(attachment_id)})
    assert response.status_code == 303
    idea_id = fetch(lambda: db.session.scalar(select(Idea.id)))
    assert fetch(lambda: db.session.get_one(Attachment, attachment_id).idea_id) == idea_id
    page = client.get(f"/ideas/{idea_id}").get_data(as_text=True)
    assert f'href="/attachments/{attachment_id}/image"' in page
    assert 'alt="Screenshot 1 of “Export to PDF”"' in page and 'loading="lazy"' in page
    assert 'width="320" height="200"' in page


def test_with_htmx_an_upload_swaps_the_uploader_in_place(client, auth, make_user, fetch):
    member = make_user()
    auth.login(member)
    response = _send(client, headers=htmx_headers("idea-form-uploader"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'id="idea-form-uploader"' in body and 'name="attachments"' in body
    assert response.headers.get("Vary") and "HX-Request" in response.headers["Vary"]

    refused = _send(client, image_files.SVG, "drawing.svg", headers=htmx_headers("idea-form-uploader"))
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "<html" not in body and NOT_AN_IMAGE in body
    assert len(_pending_ids(fetch, member)) == 1  # the first stays, still listed
    assert body.count('name="attachments"') == 1


@pytest.mark.parametrize("data, name, message", [
    (image_files.SVG, "drawing.svg", NOT_AN_IMAGE),
    (image_files.TEXT, "screenshot.png", NOT_AN_IMAGE),
    (image_files.polyglot_png_zip(), "screenshot.png", NOT_AN_IMAGE),
    (image_files.bomb_png(), "screenshot.png", "Images may be at most 25 megapixels."),
    (b"", "", "Choose an image file."),
])
def test_a_refused_upload_answers_422_with_the_reason(client, auth, make_user, fetch, data, name, message):
    member = make_user()
    auth.login(member)
    response = _send(client, data, name)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _pending_ids(fetch, member) == []


def test_a_refused_post_keeps_its_pending_uploads_ticked(client, auth, make_user, fetch):
    member = make_user()
    auth.login(member)
    _send(client)
    [attachment_id] = _pending_ids(fetch, member)
    response = client.post("/ideas/new", data={"title": "", "description": "Typed text kept",
                                               "kind": "idea", "attachments": str(attachment_id)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Typed text kept" in page
    assert re.search(rf'name="attachments" value="{attachment_id}" form="idea-form" checked', page)
    assert _pending_ids(fetch, member) == [attachment_id]


def test_the_uploader_removes_a_pending_upload_and_nobody_else_can(client, auth, make_user, fetch):
    owner, other = make_user(), make_user()
    auth.login(owner)
    _send(client)
    [attachment_id] = _pending_ids(fetch, owner)
    auth.logout()
    auth.login(other)
    assert client.post(f"/attachments/{attachment_id}/remove").status_code == 404
    auth.logout()
    auth.login(owner)
    response = client.post(f"/attachments/{attachment_id}/remove", data={"next": "/ideas/new"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/ideas/new")
    assert _pending_ids(fetch, owner) == []


def test_a_pending_upload_is_its_uploaders_alone(client, auth, app, make_user):
    owner, other = make_user(), make_user()
    attachment_id = _uploaded(app, owner)
    for path in (f"/attachments/{attachment_id}/image", f"/attachments/{attachment_id}/thumbnail"):
        assert client.get(path).status_code == 404
        auth.login(other)
        assert client.get(path).status_code == 404
        auth.logout()
        auth.login(owner)
        assert client.get(path).status_code == 200
        auth.logout()


def test_an_image_is_served_in_its_own_type_in_a_sandbox_to_readers_of_a_public_idea(
        client, app, make_user, make_idea):
    author = make_user()
    idea = make_idea(author=author)
    attachment_id = _uploaded(app, author, idea=idea.id)
    response = client.get(f"/attachments/{attachment_id}/image")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == "inline"
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "public" not in cache
    thumbnail = client.get(f"/attachments/{attachment_id}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/webp"
    assert thumbnail.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_the_image_of_a_hidden_idea_is_404_but_for_staff(client, auth, app, make_user, make_idea):
    author, staff = make_user(), make_user(role="staff")
    idea = make_idea(author=author)
    attachment_id = _uploaded(app, author, idea=idea.id)
    with app.app_context():
        hide_idea(db.session.get_one(User, staff.id), db.session.get_one(Idea, idea.id))
        db.session.commit()
    path = f"/attachments/{attachment_id}/image"
    assert client.get(path).status_code == 404
    auth.login(author)
    assert client.get(path).status_code == 404
    auth.logout()
    auth.login(staff)
    assert client.get(path).status_code == 200


def test_the_image_of_an_idea_on_a_segment_board_is_404_outside_the_segment(
        client, auth, app, admin, make_user, make_company, make_idea):
    inside, outside = make_user(name="Erin"), make_user(name="Finn")
    make_company("Big Corp", members=[inside], plan="Enterprise")
    make_company("Small Shop", members=[outside], plan="Free")
    with app.app_context():
        actor = db.session.get_one(User, admin.id)
        segment = create_segment(actor, "Enterprise", "all",
                                 [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}])
        board = create_board(actor, {"name": "Enterprise programme", "access": "chosen",
                                     "segment_ids": [str(segment.id)]})
        db.session.commit()
        board_id = board.id
    idea = make_idea(author=inside, title="Single sign-on", board_id=board_id)
    attachment_id = _uploaded(app, inside, idea=idea.id)
    path = f"/attachments/{attachment_id}/thumbnail"
    auth.login(outside)
    assert client.get(path).status_code == 404
    auth.logout()
    assert client.get(path).status_code == 404
    auth.login(inside)
    assert client.get(path).status_code == 200


def test_the_image_of_an_internal_note_is_404_to_members(client, auth, app, make_user, make_idea):
    staff, member = make_user(role="staff"), make_user()
    idea = make_idea()
    with app.app_context():
        note = add_comment(db.session.get_one(User, staff.id), db.session.get_one(Idea, idea.id),
                           "Customer sent this", internal=True)
        public = add_comment(db.session.get_one(User, member.id), db.session.get_one(Idea, idea.id),
                             "Same here")
        db.session.commit()
        note_id, public_id = note.id, public.id
    on_note = _uploaded(app, staff, comment=note_id)
    on_public = _uploaded(app, member, comment=public_id)
    auth.login(member)
    assert client.get(f"/attachments/{on_note}/image").status_code == 404
    assert client.get(f"/attachments/{on_public}/image").status_code == 200
    auth.logout()
    auth.login(staff)
    assert client.get(f"/attachments/{on_note}/image").status_code == 200


def test_the_image_of_a_deleted_comment_is_404_to_everyone(client, auth, app, make_user, make_idea):
    from ideas.comments import delete_comment

    member = make_user()
    idea = make_idea()
    with app.app_context():
        comment = add_comment(db.session.get_one(User, member.id), db.session.get_one(Idea, idea.id), "Look")
        db.session.commit()
        comment_id = comment.id
    attachment_id = _uploaded(app, member, comment=comment_id)
    assert client.get(f"/attachments/{attachment_id}/image").status_code == 200
    with app.app_context():
        delete_comment(db.session.get_one(User, member.id), db.session.get_one(Comment, comment_id))
        db.session.commit()
    auth.login(member)
    assert client.get(f"/attachments/{attachment_id}/image").status_code == 404


def test_an_upload_above_its_own_limit_is_413_and_the_site_wide_limit_is_unchanged(
        client, auth, app, make_user, fetch):
    member = make_user()
    auth.login(member)
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    # Over 1 MiB but within the upload's own limit: read, and judged by the image rules.
    large = image_files.noise_png(side=800)
    assert 1024 * 1024 < len(large) < 5 * 1024 * 1024
    assert _send(client, large).status_code == 303
    # Over the upload's limit: refused before it is read.
    response = _send(client, b"\x89PNG\r\n\x1a\n" + b"0" * (app.config["UPLOAD_MAX_CONTENT_LENGTH"] + 1))
    assert response.status_code == 413
    assert len(_pending_ids(fetch, member)) == 1
    # Everywhere else the site-wide limit holds.
    response = client.post("/ideas/new", data={"title": "Big", "kind": "idea",
                                               "description": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_uploading_needs_a_signed_in_member(client):
    response = _send(client)
    assert response.status_code in (302, 303, 401) and "/auth/login" in response.headers.get("Location", "")


def test_the_api_posts_an_idea_with_screenshots_and_describes_them(client, app, make_user, fetch):
    member = make_user()
    attachment_id = _uploaded(app, member)
    token = fetch(lambda: (create_api_key(db.session.get(User, member.id), "CI")[1], db.session.commit())[0])
    body = json.dumps({"title": "Dark mode", "attachments": [attachment_id]})
    response = client.post("/api/v1/ideas", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_json()
    [image] = response.get_json()["attachments"]
    assert image["id"] == attachment_id and image["url"].endswith(f"/attachments/{attachment_id}/image")
    assert image["thumbnail_url"].endswith(f"/attachments/{attachment_id}/thumbnail")
    assert (image["width"], image["height"], image["content_type"]) == (320, 200, "image/png")
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert "attachments" in schema["IdeaDetail"]["properties"] and "Attachment" in schema


def test_the_api_takes_an_upload_by_its_own_request(client, app, make_user, fetch):
    member = make_user()
    token = fetch(lambda: (create_api_key(db.session.get(User, member.id), "CI")[1], db.session.commit())[0])
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/v1/attachments", data={"image": (io.BytesIO(image_files.jpeg()), "a.jpg")},
                           content_type="multipart/form-data", headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["content_type"] == "image/jpeg" and response.headers["Location"] == body["url"]
    assert _pending_ids(fetch, member) == [body["id"]]
    refused = client.post("/api/v1/attachments", data={"image": (io.BytesIO(image_files.SVG), "a.svg")},
                          content_type="multipart/form-data", headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {"image": NOT_AN_IMAGE}
    assert client.post("/api/v1/attachments", data={"image": (io.BytesIO(image_files.png()), "a.png")},
                       content_type="multipart/form-data").status_code == 401
    document = client.get("/api/v1/openapi.json").get_json()
    assert "multipart/form-data" in document["paths"]["/attachments"]["post"]["requestBody"]["content"]


def test_uploads_are_rate_limited_per_member(database_url, make_user):
    from helpers import PASSWORD, dispose
    from ideas import create_app
    from ideas.extensions import limiter

    member = make_user()
    limited = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True,
                                     "RATELIMIT_KEY_PREFIX": f"uploads-{member.id}-{id(member)}",
                                     "RATELIMIT_UPLOAD": "2 per minute"})
    try:
        client = limited.test_client()
        client.post("/auth/login", data={"email": member.email, "password": PASSWORD})
        assert [_send(client).status_code for _ in range(3)] == [303, 303, 429]
        assert "Retry-After" in _send(client).headers
    finally:
        limiter.storage.reset()
        dispose(limited)


def test_a_ticked_screenshot_is_posted_with_a_comment_and_shown_in_the_thread(
        client, auth, app, make_user, make_idea, fetch):
    member, idea = make_user(), make_idea(title="Dark mode")
    auth.login(member)
    pending = _uploaded(app, member)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert f'value="{pending}" form="comment-form" checked' in page

    response = client.post(f"/ideas/{idea.id}/comments",
                           data={"body": "Here it is", "attachments": [pending]})

    comment_id = fetch(lambda: db.session.execute(select(Comment.id)).scalar_one())
    assert response.status_code == 303
    assert fetch(lambda: db.session.get(Attachment, pending).comment_id) == comment_id
    thread = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert f'/attachments/{pending}/thumbnail' in thread and "Screenshot 1 of" in thread


def test_a_ticked_screenshot_is_posted_with_a_reply(client, auth, app, make_user, make_idea, fetch):
    member, idea = make_user(), make_idea()
    with app.app_context():
        comment = add_comment(db.session.get_one(User, idea.author_id), db.session.get_one(Idea, idea.id),
                              "Ideas?")
        db.session.commit()
        comment_id = comment.id
    auth.login(member)
    pending = _uploaded(app, member)
    form = client.get(f"/comments/{comment_id}/reply").get_data(as_text=True)
    assert f'value="{pending}" form="reply-{comment_id}" checked' in form

    response = client.post(f"/comments/{comment_id}/reply",
                           data={f"reply-{comment_id}-body": "Like this", "attachments": [pending]})

    assert response.status_code == 303
    reply_id = fetch(lambda: db.session.execute(
        select(Comment.id).where(Comment.parent_id == comment_id)).scalar_one())
    assert fetch(lambda: db.session.get(Attachment, pending).comment_id) == reply_id
