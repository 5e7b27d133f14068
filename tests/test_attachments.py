"""Screenshots (ideas/attachments.py, ideas/images.py): only real PNG, JPEG and WebP images get
in, re-encoded without metadata and within the limits; a post takes at most six; uploads nobody
posted go after a day; and refusing hostile files costs the worker little memory."""
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from ideas.attachments import (
    PENDING_PER_MEMBER, PER_POST, attach, attachments_of, pending_uploads, remove_stale, upload,
)
from ideas.errors import InvalidInput, NotAllowed
from ideas.extensions import db
from ideas.models import Attachment, Idea, StoredFile, User, utcnow
from ideas.proposals import propose_idea
from ideas.storage import file_storage

import image_files

NOT_AN_IMAGE = "This file is not a PNG, JPEG or WebP image."


def _upload(app, member, data, name="screenshot.png"):
    """upload() as `member`, committed; the attachment's id."""
    with app.app_context():
        attachment = upload(db.session.get(User, member.id), data, name)
        db.session.commit()
        return attachment.id


def _refusal(app, member, data, name="screenshot.png"):
    """What upload() says when it refuses `data` (and that nothing was kept)."""
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            upload(db.session.get(User, member.id), data, name)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
        assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
        return refused.value.message


def _stored(app, attachment_id, thumbnail=False):
    with app.app_context():
        attachment = db.session.get_one(Attachment, attachment_id)
        stored = file_storage().get(attachment.thumbnail_key if thumbnail else attachment.storage_key)
        assert stored is not None
        return stored


@pytest.mark.parametrize("data, name", [
    (image_files.SVG, "drawing.svg"),
    (image_files.SVG, "drawing.png"),
    (image_files.gif(), "animation.gif"),
    (image_files.TEXT, "screenshot.png"),
    (image_files.HTML, "screenshot.png"),
    (image_files.polyglot_png_zip(), "screenshot.png"),
    (image_files.polyglot_png_html(), "screenshot.png"),
    (image_files.polyglot_jpeg_zip(), "photo.jpg"),
    (image_files.png_with_script_text(), "screenshot.png"),
    (image_files.png()[:-30], "cut-short.png"),
], ids=["svg", "svg-named-png", "gif", "text-named-png", "html-named-png", "png+zip", "png+html",
        "jpeg+zip", "png-with-script-text", "truncated-png"])
def test_what_is_not_only_an_image_is_refused(app, make_user, data, name):
    assert _refusal(app, make_user(), data, name) == NOT_AN_IMAGE


def test_a_decompression_bomb_is_refused_by_its_header(app, make_user):
    bomb = image_files.bomb_png()
    assert len(bomb) < 100_000
    assert _refusal(app, make_user(), bomb) == "Images may be at most 25 megapixels."


def test_an_image_over_25_megapixels_is_refused_even_below_pillows_own_limit(app, make_user):
    thirty_megapixels = image_files.bomb_png(6000, 5000)
    assert _refusal(app, make_user(), thirty_megapixels) == "Images may be at most 25 megapixels."


def test_an_image_over_5_mb_is_refused(app, make_user):
    large = image_files.noise_png()
    assert len(large) > 5 * 1024 * 1024
    assert _refusal(app, make_user(), large) == "Images may be at most 5 MB."


def test_an_empty_file_is_refused(app, make_user):
    assert _refusal(app, make_user(), b"") == "Choose an image file."


@pytest.mark.parametrize("data, content_type", [
    (image_files.png(), "image/png"), (image_files.jpeg(), "image/jpeg"), (image_files.webp(), "image/webp"),
])
def test_png_jpeg_and_webp_are_kept_in_their_type_with_a_thumbnail(app, make_user, data, content_type):
    member = make_user()
    attachment_id = _upload(app, member, data)
    stored, stored_type = _stored(app, attachment_id)
    assert stored_type == content_type
    assert Image.open(io.BytesIO(stored)).size == (320, 200)
    thumbnail, thumbnail_type = _stored(app, attachment_id, thumbnail=True)
    assert thumbnail_type == "image/webp" and Image.open(io.BytesIO(thumbnail)).format == "WEBP"
    with app.app_context():
        attachment = db.session.get_one(Attachment, attachment_id)
        assert (attachment.width, attachment.height, attachment.content_type) == (320, 200, content_type)
        assert attachment.byte_size == len(stored)
        pending = pending_uploads(db.session.get_one(User, member.id))
        assert [upload.id for upload in pending] == [attachment_id]


def test_exif_and_its_location_are_dropped_and_the_orientation_applied(app, make_user):
    # Orientation 6: the camera was turned; the picture is shown turned a quarter clockwise.
    original = image_files.jpeg(size=(300, 100), exif=image_files.exif_with_location(orientation=6))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the location is there to begin with
    attachment_id = _upload(app, make_user(), original, "photo.jpg")
    stored, _type = _stored(app, attachment_id)
    reopened = Image.open(io.BytesIO(stored))
    assert reopened.size == (100, 300)
    assert not reopened.getexif() and "exif" not in reopened.info
    assert b"Pocket Camera" not in stored and b"Exif" not in stored


def test_png_text_chunks_are_dropped(app, make_user):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Someone who did not mean to share this " + "x" * 2000)
    attachment_id = _upload(app, make_user(), image_files.png(pnginfo=info))
    stored, _type = _stored(app, attachment_id)
    assert b"Someone who" not in stored and not Image.open(io.BytesIO(stored)).text


def test_the_long_side_is_at_most_2000_pixels(app, make_user):
    attachment_id = _upload(app, make_user(), image_files.png(size=(3000, 1200)))
    stored, _type = _stored(app, attachment_id)
    assert Image.open(io.BytesIO(stored)).size == (2000, 800)
    thumbnail, _type = _stored(app, attachment_id, thumbnail=True)
    assert max(Image.open(io.BytesIO(thumbnail)).size) == 400


def test_a_post_takes_at_most_six_screenshots(app, make_user):
    member = make_user()
    ids = [_upload(app, member, image_files.png(size=(20, 20))) for _ in range(PER_POST + 1)]
    with app.app_context():
        author = db.session.get_one(User, member.id)
        with pytest.raises(InvalidInput, match="at most 6 screenshots"):
            propose_idea(author, "Seven screenshots", attachment_ids=ids)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Idea)) == 0
        idea = propose_idea(author, "Six screenshots", attachment_ids=ids[:PER_POST])
        db.session.commit()
        with pytest.raises(InvalidInput, match="at most 6 screenshots"):
            attach(author, ids[PER_POST:], idea=idea)
        images = attachments_of(idea_ids=[idea.id]).ideas[idea.id]
        assert [image.id for image in images] == ids[:PER_POST]
        assert [image.position for image in images] == list(range(PER_POST))


def test_only_the_uploaders_own_pending_uploads_can_be_attached(app, make_user, make_idea):
    owner, other = make_user(), make_user()
    theirs = _upload(app, owner, image_files.png())
    with app.app_context():
        intruder = db.session.get_one(User, other.id)
        with pytest.raises(InvalidInput, match="no longer waiting"):
            propose_idea(intruder, "Not my screenshot", attachment_ids=[theirs])
        db.session.rollback()
        idea = propose_idea(db.session.get_one(User, owner.id), "Mine", attachment_ids=[theirs])
        db.session.commit()
        # Attached once: it cannot move to another post.
        with pytest.raises(InvalidInput, match="no longer waiting"):
            propose_idea(db.session.get_one(User, owner.id), "Again", attachment_ids=[theirs])
        db.session.rollback()
        # And nobody puts their upload on someone else's idea.
        mine = upload(intruder, image_files.png(), "x.png")
        with pytest.raises(NotAllowed):
            attach(intruder, [mine.id], idea=db.session.get_one(Idea, idea.id))


def test_each_member_may_keep_only_so_many_pending_uploads(app, make_user):
    member = make_user()
    small = image_files.png(size=(8, 8))
    for _ in range(PENDING_PER_MEMBER):
        _upload(app, member, small)
    assert "waiting for a post" in _refusal_without_emptiness(app, member, small)


def _refusal_without_emptiness(app, member, data):
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            upload(db.session.get(User, member.id), data, "x.png")
        return refused.value.message


def test_uploads_left_unposted_for_a_day_are_removed_with_their_files(app, make_user):
    member = make_user()
    stale, fresh, posted = (_upload(app, member, image_files.png()) for _ in range(3))
    with app.app_context():
        propose_idea(db.session.get_one(User, member.id), "Kept", attachment_ids=[posted])
        for attachment_id in (stale, posted):
            db.session.get_one(Attachment, attachment_id).created_at = utcnow() - timedelta(hours=25)
        db.session.commit()
        stale_keys = [db.session.get_one(Attachment, stale).storage_key,
                      db.session.get_one(Attachment, stale).thumbnail_key]
        # A stale upload is no longer offered, even before the worker comes by.
        assert [a.id for a in pending_uploads(db.session.get_one(User, member.id))] == [fresh]
        assert remove_stale(utcnow()) == 1
        db.session.commit()
        assert set(db.session.execute(select(Attachment.id)).scalars()) == {fresh, posted}
        assert all(file_storage().get(key) is None for key in stale_keys)
        assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 4


def test_the_worker_loop_removes_stale_uploads(app, make_user, fetch):
    import threading
    import time

    from ideas.delivery import run_forever

    stale = _upload(app, make_user(), image_files.png())
    with app.app_context():
        db.session.get_one(Attachment, stale).created_at = utcnow() - timedelta(hours=25)
        db.session.commit()
    stop = threading.Event()
    loop = threading.Thread(target=run_forever, args=(app, 0.05, stop), daemon=True)
    loop.start()
    deadline = time.monotonic() + 10
    while fetch(lambda: db.session.get(Attachment, stale)) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    loop.join(10)
    assert fetch(lambda: db.session.get(Attachment, stale)) is None
    assert fetch(lambda: db.session.scalar(select(func.count()).select_from(StoredFile))) == 0


MEMORY_SCRIPT = """
import json, resource, sys
from ideas import create_app
from ideas.attachments import upload
from ideas.errors import InvalidInput
from ideas.extensions import db
from ideas.models import User

app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
results = {}
with app.app_context():
    member = db.session.get(User, int(sys.argv[2]))
    for path in sys.argv[3:]:
        with open(path, "rb") as file:
            data = file.read()
        try:
            upload(member, data, path)
            results[path] = "accepted"
        except InvalidInput as refused:
            results[path] = refused.message
        db.session.rollback()
        del data
# VmHWM is this program's own peak; ru_maxrss would also count the parent's pages at the fork
# (Linux keeps that high-water mark across exec), about the size of the pytest process itself.
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"results": results, "peak_kib": peak,
                  "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads the peak from Linux's /proc/self/status")
def test_refusing_hostile_files_keeps_the_process_under_150_mb(app, make_user, tmp_path):
    """The bomb, a polyglot, an SVG and an oversized image, each refused in a fresh process (as
    the worker's or a web process's) whose peak memory stays under 150 MB."""
    member = make_user()
    files = {"bomb.png": image_files.bomb_png(), "polyglot.png": image_files.polyglot_png_zip(),
             "drawing.svg": image_files.SVG, "large.png": image_files.noise_png()}
    paths = []
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    finished = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, app.config["SQLALCHEMY_DATABASE_URI"], str(member.id), *paths],
        capture_output=True, text=True, timeout=120, cwd=root, env=env, check=False)
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    assert report["results"] == {
        paths[0]: "Images may be at most 25 megapixels.", paths[1]: NOT_AN_IMAGE, paths[2]: NOT_AN_IMAGE,
        paths[3]: "Images may be at most 5 MB.",
    }
    assert report["peak_kib"] < 150 * 1024, report
