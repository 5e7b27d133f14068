"""Adding an event kind is one registry entry (plus templates, when the default ones will not do):
a kind registered here, and nowhere else, reaches the inbox, the mail server and a webhook."""
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from helpers import run_worker
from ideas import webhooks
from ideas.events import Audience, EventKind, Webhook, register, unregister
from ideas.events.publish import publish
from ideas.extensions import db
from ideas.models import Idea, Notification, User, WebhookEndpoint
from ideas.site_settings import set_setting
from ideas.voting import cast_vote

BASE_URL = "https://ideas.example.com"


@dataclass(frozen=True)
class Spotlighted:
    """Staff put `idea` in the spotlight of the week: a kind that exists only in this test."""

    actor: User
    idea: Idea
    week: int


@pytest.fixture
def spotlight_kind():
    """The new kind, registered for this test only: backers are told, a webhook fires."""
    kind = register(EventKind(
        name="spotlighted", event_type=Spotlighted, audience=Audience(backers=True),
        payload=lambda event: {"week": event.week},
        summary=lambda data: f"in the spotlight of week {data['week']}",
        subject=lambda data: f"“{data['title']}” is in the spotlight",
        link=lambda idea_id, data: ("ideas.show", {"idea_id": idea_id}),
        webhook=Webhook("idea.spotlighted", "An idea is in the spotlight",
                        lambda event: {"idea": event.idea, "week": event.week}),
    ))
    yield kind
    unregister(kind.name)


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on loopback; `bodies` holds the JSON it was posted."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.bodies = []


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """A running Receiver."""
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def listening(mail_app, receiver, spotlight_kind):
    """An endpoint that asked for the new kind's webhook, on loopback (allowed for the test)."""
    with mail_app.app_context():
        set_setting("allow_private_webhooks", "1")
        db.session.add(WebhookEndpoint(url=f"http://127.0.0.1:{receiver.server_address[1]}/hook",
                                       events="idea.spotlighted", secret="whsec_test_secret_0123456789"))
        webhooks.store_listened_events()
        db.session.commit()


def test_a_kind_registered_in_a_test_is_delivered_in_app_by_email_and_by_webhook(
        mail_app, smtp_server, receiver, listening, spotlight_kind, make_user, make_idea):
    mail_app.config["BASE_URL"] = BASE_URL
    backer, staff = make_user(name="Bea Backer"), make_user(role="staff")
    idea = make_idea(title="Offline mode")
    with mail_app.app_context():
        cast_vote(db.session.get(User, backer.id), db.session.get(Idea, idea.id))
        db.session.commit()
        publish(Spotlighted(db.session.get(User, staff.id), db.session.get(Idea, idea.id), week=12))
        db.session.commit()

    run_worker(mail_app)
    with mail_app.app_context():
        webhooks.deliver_due_webhooks()
        inbox = db.session.execute(
            select(Notification).where(Notification.user_id == backer.id)).scalars().all()
        assert [note.event.kind for note in inbox] == ["spotlighted"]

    [message] = [m for m in smtp_server.messages if m["To"] == backer.email]
    assert message["Subject"] == "[Ideas] “Offline mode” is in the spotlight"
    text = message.get_body(("plain",)).get_content()
    assert "Offline mode: in the spotlight of week 12" in text and f"{BASE_URL}/ideas/{idea.id}" in text
    [body] = receiver.bodies
    assert body["event"] == "idea.spotlighted"
    assert body["data"]["week"] == 12 and body["data"]["idea"]["id"] == idea.id

    client = mail_app.test_client()
    client.post("/auth/login", data={"email": backer.email, "password": "correct horse battery"})
    page = client.get("/notifications")
    assert page.status_code == 200 and "in the spotlight of week 12" in page.get_data(as_text=True)
