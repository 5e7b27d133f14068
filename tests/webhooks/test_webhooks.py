"""Webhooks: queued with the change, signed, posted to a real server, retried, kept off private
addresses, and managed by admins on their pages."""
import contextlib
import hashlib
import hmac
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from ideas import create_app, webhooks
from ideas.boards import create_board, move_idea
from ideas.comments import add_comment
from ideas.delivery import run_forever
from ideas.errors import InvalidInput
from ideas.extensions import db
from ideas.merging import merge_ideas
from ideas.models import (
    WEBHOOK_EVENTS, AuditEntry, Idea, Setting, User, WebhookDelivery, WebhookEndpoint, utcnow,
)
from ideas.proposals import propose_idea
from ideas.statuses import change_status
from ideas.site_settings import get_setting, set_setting
from ideas.team import vote_for_customer
from ideas.vote_importance import set_importance
from ideas.voting import cast_vote
from ideas.addresses import is_public_address, numeric_ipv4
from ideas.webhooks import deliver_due_webhooks, queue_webhooks, transport, worker

SECRET = "whsec_test_secret_0123456789"


# A real HTTP server on loopback that records what it receives.

class Receiver(ThreadingHTTPServer):
    """Answers each POST with the next status in `statuses` (then 200) and keeps the request."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.requests = []
        self.statuses = []
        self.received = threading.Event()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/ideas?source=test"


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "/moved")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        self.server.received.set()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1; `.requests` holds what it got."""
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def free_port():
    """A local port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Arranging and reading the database.

@pytest.fixture
def allow_private(app):
    """Turn on the setting that lets webhooks reach loopback (the receiver lives there)."""
    with app.app_context():
        set_setting("allow_private_webhooks", "1")
        db.session.commit()


@pytest.fixture
def make_endpoint(app):
    """Store an endpoint as-is (even a loopback URL): make_endpoint(url, events=(...), active=True)."""
    def make(url, events=WEBHOOK_EVENTS, active=True, secret=SECRET):
        with app.app_context():
            endpoint = WebhookEndpoint(url=url, events=" ".join(events), secret=secret, active=active)
            db.session.add(endpoint)
            webhooks.store_listened_events()  # as the admin pages do
            db.session.commit()
            return endpoint.id

    return make


@pytest.fixture
def people(make_user):
    """One person of each role."""
    return {role: make_user(role=role) for role in ("member", "staff", "admin")}


def deliveries(fetch, endpoint_id=None):
    """Every delivery as a dict (body parsed), oldest first."""
    def load():
        statement = select(WebhookDelivery).order_by(WebhookDelivery.id)
        if endpoint_id is not None:
            statement = statement.where(WebhookDelivery.endpoint_id == endpoint_id)
        return [dict(id=row.id, event=row.event, body=json.loads(row.body), raw=row.body, state=row.state,
                     attempts=row.attempts, status_code=row.status_code, last_error=row.last_error,
                     next_attempt_at=row.next_attempt_at, endpoint_id=row.endpoint_id)
                for row in db.session.execute(statement).scalars()]

    return fetch(load)


def deliver(fetch, now=None):
    """Run the worker's webhook step once."""
    return fetch(lambda: deliver_due_webhooks(now=now))


def audit_actions(fetch):
    """(action, before, after) of each audit entry, oldest first."""
    return fetch(lambda: [(entry.action, json.loads(entry.before), json.loads(entry.after)) for entry in
                          db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()])


def signature_ok(secret, request):
    """True when the request's Ideas-Signature is the HMAC of its timestamp and body."""
    fields = dict(part.split("=", 1) for part in request["headers"]["Ideas-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.{request['body']}".encode(),
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


# Delivering to a real server.

def test_an_event_is_posted_signed_to_the_endpoint(app, receiver, allow_private, make_endpoint,
                                                   make_idea, fetch):
    endpoint_id = make_endpoint(receiver.url, events=["idea.created"])
    idea = make_idea(title="Export to CSV")

    assert deliver(fetch) == 1

    [request] = receiver.requests
    assert request["path"] == "/hooks/ideas?source=test"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Ideas-Event"] == "idea.created"
    assert signature_ok(SECRET, request)
    assert not signature_ok("another secret", request)
    body = json.loads(request["body"])
    assert body["event"] == "idea.created" and body["id"] and body["created_at"]
    assert body["data"]["idea"]["id"] == idea.id
    assert body["data"]["idea"]["title"] == "Export to CSV"
    assert body["data"]["idea"]["url"].endswith(f"/ideas/{idea.id}")
    [row] = deliveries(fetch, endpoint_id)
    assert request["headers"]["Ideas-Delivery"] == str(row["id"])
    assert request["body"] == row["raw"]
    assert (row["state"], row["status_code"], row["attempts"], row["next_attempt_at"]) == \
        ("delivered", 200, 1, None)


def test_the_signature_timestamp_is_the_sending_time(app, receiver, allow_private, make_endpoint,
                                                     make_idea, fetch):
    make_endpoint(receiver.url)
    make_idea()
    before = int(utcnow().timestamp())

    deliver(fetch)

    stamp = int(receiver.requests[0]["headers"]["Ideas-Signature"].split(",")[0].removeprefix("t="))
    assert before <= stamp <= int(utcnow().timestamp())


def test_a_delivered_event_is_not_posted_again(app, receiver, allow_private, make_endpoint, make_idea,
                                               fetch):
    make_endpoint(receiver.url)
    make_idea()

    deliver(fetch)
    assert deliver(fetch, now=utcnow() + timedelta(days=2)) == 0

    assert len(receiver.requests) == 1


def test_the_worker_loop_posts_webhooks(app, receiver, allow_private, make_endpoint, make_idea, fetch):
    make_endpoint(receiver.url)
    make_idea()
    stop = threading.Event()
    loop = threading.Thread(target=run_forever, args=(app, 0.05, stop), daemon=True)

    loop.start()
    received = receiver.received.wait(10)
    stop.set()
    loop.join(10)

    assert received
    assert deliveries(fetch)[0]["state"] == "delivered"


# Which action queues which event, and what it says.

@pytest.fixture
def cast(app, make_user, make_idea, people):
    """An idea by a member, and the staff member who acts on it (ids)."""
    author = make_user(name="Ada Author", email="ada@example.com")
    idea = make_idea(title="Dark mode", author=author)
    return {"idea": idea.id, "author": author.id, "staff": people["staff"].id,
            "other": make_idea(title="Night theme").id, "admin": make_user(role="admin").id}


def _act(event, cast):
    """Do, through the domain function, the action that raises `event`."""
    staff, author = db.session.get(User, cast["staff"]), db.session.get(User, cast["author"])
    idea = db.session.get(Idea, cast["idea"])
    if event == "idea.created":
        propose_idea(author, "Offline mode", "Trains have no signal.")
    elif event == "idea.status_changed":
        change_status(staff, idea, "planned", "Coming in spring.")
    elif event == "comment.created":
        add_comment(author, idea, "Please hurry")
    elif event == "idea.merged":
        merge_ideas(staff, db.session.get(Idea, cast["other"]), idea)
    elif event == "vote.created":
        cast_vote(staff, idea)
    elif event == "vote.importance_changed":
        cast_vote(staff, idea)
        set_importance(staff, idea, "critical", "A private note")
    elif event == "idea.moved":
        board = create_board(db.session.get(User, cast["admin"]), {"name": "Mobile app", "access": "public"})
        move_idea(staff, idea, board)
    db.session.commit()


EXPECTED_DATA = {
    "idea.created": lambda cast: {"idea": {"title": "Offline mode", "status": "open",
                                           "author": {"id": cast["author"], "name": "Ada Author"}}},
    "idea.status_changed": lambda cast: {"old_status": "open", "new_status": "planned",
                                         "note": "Coming in spring.",
                                         "idea": {"id": cast["idea"], "status": "planned"}},
    "comment.created": lambda cast: {"comment": {"body": "Please hurry", "official": False,
                                                 "author": {"id": cast["author"], "name": "Ada Author"}},
                                     "idea": {"id": cast["idea"], "title": "Dark mode"}},
    "idea.merged": lambda cast: {"source": {"id": cast["other"], "status": "merged"},
                                 "target": {"id": cast["idea"], "title": "Dark mode"}},
    "vote.created": lambda cast: {"idea": {"id": cast["idea"], "vote_count": 1},
                                  "voter": {"id": cast["staff"], "name": None}, "cast_by": None},
    "idea.moved": lambda cast: {"old_board": "General", "new_board": "Mobile app",
                                "idea": {"id": cast["idea"], "board": "mobile-app"}},
    "vote.importance_changed": lambda cast: {"idea": {"id": cast["idea"], "vote_count": 1},
                                             "voter": {"id": cast["staff"], "name": None},
                                             "old_importance": None, "importance": "critical"},
}


# Proposing also casts the author's vote, which is a vote like any other.
ALSO_QUEUED = {"idea.created": ["idea.created", "vote.created"],
               "vote.importance_changed": ["vote.created", "vote.importance_changed"]}


def _matches(expected, actual):
    """True when every key of `expected` is in `actual` with that value (None: any value)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _matches(value, actual[key]) for key, value in expected.items())
    return expected is None or expected == actual


@pytest.mark.parametrize("event", WEBHOOK_EVENTS)
def test_each_action_queues_its_event_with_the_change(app, make_endpoint, cast, fetch, event):
    everything = make_endpoint("https://hooks.example.com/all")
    only_this = make_endpoint("https://hooks.example.com/one", events=[event])

    fetch(lambda: _act(event, cast))

    assert [row["event"] for row in deliveries(fetch, everything)] == ALSO_QUEUED.get(event, [event])
    [row] = deliveries(fetch, only_this)
    assert row["state"] == "pending" and row["attempts"] == 0
    assert row["body"]["event"] == event
    assert _matches(EXPECTED_DATA[event](cast), row["body"]["data"]), row["body"]["data"]
    assert "ada@example.com" not in row["raw"]


def test_proposing_queues_the_idea_then_the_authors_vote(app, make_endpoint, cast, fetch):
    make_endpoint("https://hooks.example.com/all")

    fetch(lambda: _act("idea.created", cast))

    created, vote = deliveries(fetch)
    assert (created["event"], vote["event"]) == ("idea.created", "vote.created")
    assert created["body"]["data"]["idea"]["vote_count"] == 0  # as it was when it was created
    assert _matches({"idea": {"id": created["body"]["data"]["idea"]["id"], "vote_count": 1},
                     "voter": {"id": cast["author"], "name": "Ada Author"}, "cast_by": None},
                    vote["body"]["data"]), vote["body"]["data"]


def test_an_endpoint_gets_only_the_events_it_chose(app, make_endpoint, cast, fetch):
    endpoint_id = make_endpoint("https://hooks.example.com/", events=["idea.merged"])

    fetch(lambda: _act("comment.created", cast))
    fetch(lambda: _act("vote.created", cast))

    assert deliveries(fetch, endpoint_id) == []


def test_a_disabled_endpoint_gets_nothing_queued(app, make_endpoint, cast, fetch):
    make_endpoint("https://hooks.example.com/", active=False)

    fetch(lambda: _act("comment.created", cast))

    assert deliveries(fetch) == []


@pytest.mark.parametrize("endpoint", [None, {"events": ["idea.merged"]}, {"active": False}],
                         ids=["no endpoint", "an endpoint for other events", "a disabled endpoint"])
def test_a_vote_nobody_listens_for_reads_no_endpoint(app, make_endpoint, cast, fetch, count_queries,
                                                     endpoint):
    if endpoint is not None:
        make_endpoint("https://hooks.example.com/", **endpoint)

    with count_queries() as statements:
        fetch(lambda: _act("vote.created", cast))

    assert [statement for statement in statements if "webhook_endpoints" in statement] == []
    assert deliveries(fetch) == []


def test_an_endpoint_from_before_the_listened_events_were_stored_still_gets_its_events(app, cast, fetch):
    def endpoint_stored_as_is():
        db.session.add(WebhookEndpoint(url="https://hooks.example.com/", events="vote.created",
                                       secret=SECRET, active=True))
        db.session.execute(Setting.__table__.delete())
        db.session.commit()
    fetch(endpoint_stored_as_is)

    fetch(lambda: _act("vote.created", cast))

    assert [row["event"] for row in deliveries(fetch)] == ["vote.created"]
    assert fetch(lambda: get_setting("webhook_events")) == "vote.created"


def test_an_endpoint_an_admin_enables_is_heard_by_another_process_at_once(app, database_url, client, auth,
                                                                          people, make_endpoint, cast, fetch):
    endpoint_id = make_endpoint("https://hooks.example.com/", active=False)
    other = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    try:
        with other.app_context():
            _act("vote.created", cast)  # nobody listens yet
        auth.login(people["admin"])
        client.post(f"/admin/webhooks/{endpoint_id}/active", data={"active": "1"})
        with other.app_context():
            cast_vote(db.session.get(User, cast["author"]), db.session.get(Idea, cast["idea"]))
            db.session.commit()
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()

    assert [(row["event"], row["body"]["data"]["voter"]["id"]) for row in deliveries(fetch)] == [
        ("vote.created", cast["author"])]


def test_an_internal_note_sends_nothing(app, make_endpoint, cast, fetch):
    make_endpoint("https://hooks.example.com/")

    def write_note():
        add_comment(db.session.get(User, cast["staff"]), db.session.get(Idea, cast["idea"]),
                    "Internal: the big customer threatens to leave", internal=True)
        db.session.commit()

    fetch(write_note)

    assert deliveries(fetch) == []


def test_queue_webhooks_refuses_an_internal_comment_even_if_asked(app, make_endpoint, cast, fetch):
    make_endpoint("https://hooks.example.com/")

    def queue_note():
        note = add_comment(db.session.get(User, cast["staff"]), db.session.get(Idea, cast["idea"]),
                           "Secret plan", internal=True)
        return queue_webhooks("comment.created", {"idea": note.idea_id, "comment": note})

    assert fetch(queue_note) == 0


def test_an_official_response_travels_marked_official(app, make_endpoint, cast, fetch):
    make_endpoint("https://hooks.example.com/")

    def respond():
        add_comment(db.session.get(User, cast["staff"]), db.session.get(Idea, cast["idea"]),
                    "We are on it.", official=True)
        db.session.commit()

    fetch(respond)

    [row] = deliveries(fetch)
    assert row["body"]["data"]["comment"]["official"] is True
    assert row["body"]["data"]["comment"]["body"] == "We are on it."


def test_a_vote_for_a_customer_names_both_and_no_email(app, make_endpoint, cast, people, make_user,
                                                       make_idea, fetch):
    make_endpoint("https://hooks.example.com/", events=["vote.created"])
    customer = make_user(name="Cora", email="cora@example.com")

    def record_vote():
        vote_for_customer(db.session.get(User, cast["staff"]), db.session.get(Idea, cast["idea"]),
                          customer.email)
        db.session.commit()

    fetch(record_vote)

    [row] = deliveries(fetch)
    assert row["body"]["data"]["voter"] == {"id": customer.id, "name": "Cora"}
    assert row["body"]["data"]["cast_by"]["id"] == cast["staff"]
    assert "cora@example.com" not in row["raw"]


def test_a_second_vote_by_the_same_member_queues_nothing(app, make_endpoint, cast, fetch):
    make_endpoint("https://hooks.example.com/", events=["vote.created"])

    fetch(lambda: _act("vote.created", cast))
    fetch(lambda: _act("vote.created", cast))

    assert len(deliveries(fetch)) == 1


def test_a_refused_action_leaves_no_delivery(app, make_endpoint, cast, fetch):
    make_endpoint("https://hooks.example.com/")

    def decline_without_reason():
        idea = db.session.get(Idea, cast["idea"])
        with pytest.raises(InvalidInput):
            change_status(db.session.get(User, cast["staff"]), idea, "declined", "")
        db.session.rollback()

    fetch(decline_without_reason)

    assert deliveries(fetch) == []


# Failures, retries and redirects.

def test_a_server_error_is_retried_with_growing_pauses_then_fails(app, receiver, allow_private,
                                                                  make_endpoint, make_idea, fetch):
    make_endpoint(receiver.url)
    make_idea()
    receiver.statuses = [500] * 10
    pauses = []

    for attempt in range(1, 7):
        started = utcnow()
        assert deliver(fetch, now=started + timedelta(days=attempt)) == 1
        [row] = deliveries(fetch)
        assert (row["attempts"], row["status_code"]) == (attempt, 500)
        assert "HTTP 500" in row["last_error"]
        if row["next_attempt_at"] is not None:
            pauses.append(row["next_attempt_at"] - started)

    assert row["state"] == "failed" and row["next_attempt_at"] is None
    assert len(pauses) == 5
    for pause, expected in zip(pauses, worker.BACKOFF, strict=True):
        assert expected <= pause <= expected + timedelta(seconds=30)
    assert len(receiver.requests) == 6


def test_a_failed_attempt_waits_for_its_time(app, receiver, allow_private, make_endpoint, make_idea,
                                             fetch):
    make_endpoint(receiver.url)
    make_idea()
    receiver.statuses = [500]

    deliver(fetch)
    assert deliver(fetch) == 0
    assert deliver(fetch, now=utcnow() + timedelta(minutes=2)) == 1

    [row] = deliveries(fetch)
    assert (row["state"], row["attempts"], row["status_code"]) == ("delivered", 2, 200)


def test_a_refused_connection_is_retried(app, allow_private, make_endpoint, make_idea, fetch):
    make_endpoint(f"http://127.0.0.1:{free_port()}/hook")
    make_idea()

    deliver(fetch)

    [row] = deliveries(fetch)
    assert (row["state"], row["attempts"], row["status_code"]) == ("pending", 1, None)
    assert "ConnectionRefused" in row["last_error"]
    assert row["next_attempt_at"] is not None


def test_a_redirect_is_not_followed(app, receiver, allow_private, make_endpoint, make_idea, fetch):
    make_endpoint(receiver.url)
    make_idea()
    receiver.statuses = [302]

    deliver(fetch)

    assert [request["path"] for request in receiver.requests] == ["/hooks/ideas?source=test"]
    [row] = deliveries(fetch)
    assert (row["state"], row["status_code"], row["attempts"]) == ("pending", 302, 1)
    assert "redirects are not followed" in row["last_error"]


@pytest.fixture
def trickler():
    """A server on loopback that answers a byte of header every 0.1 s, for 5 s: too slow in all."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        connection, _ = listener.accept()
        with connection, contextlib.suppress(OSError):  # the worker hangs up on it
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(50):
                if stop.wait(0.1):
                    break
                connection.sendall(b"X")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/slow"
    stop.set()
    thread.join(10)
    listener.close()


def test_a_server_that_trickles_its_answer_is_cut_off(app, trickler, allow_private, make_endpoint,
                                                      make_idea, fetch, monkeypatch):
    monkeypatch.setattr(transport, "TIMEOUT_SECONDS", 1)
    make_endpoint(trickler)
    make_idea()
    started = time.monotonic()

    deliver(fetch)

    assert time.monotonic() - started < 3
    [row] = deliveries(fetch)
    assert (row["state"], row["attempts"], row["status_code"]) == ("pending", 1, None)
    assert row["last_error"] == "No complete answer within 1 seconds."


def test_deliveries_of_a_disabled_endpoint_fail_without_posting(app, receiver, allow_private,
                                                               make_endpoint, make_idea, fetch):
    endpoint_id = make_endpoint(receiver.url)
    make_idea()

    def disable():
        db.session.get(WebhookEndpoint, endpoint_id).active = False
        db.session.commit()

    fetch(disable)
    deliver(fetch)

    assert receiver.requests == []
    [row] = deliveries(fetch)
    assert (row["state"], row["attempts"]) == ("failed", 0)
    assert "disabled" in row["last_error"]


def test_two_workers_never_claim_the_same_delivery(app, make_endpoint, make_idea, fetch):
    make_endpoint("https://hooks.example.com/")
    make_idea()

    first = fetch(worker.claim_due_deliveries)
    second = fetch(worker.claim_due_deliveries)

    assert len(first) == 1 and second == []


# Private addresses.

REFUSED_ADDRESSES = [
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
    "169.254.169.254", "0.0.0.0", "100.64.0.1", "224.0.0.1", "239.255.255.250", "240.0.0.1",
    "255.255.255.255", "192.0.2.1", "198.18.0.1",
    "::1", "::", "fe80::1", "fe80::1%1", "fc00::1", "fd12:3456::1", "ff02::1", "fec0::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
    "64:ff9b::7f00:1", "64:ff9b::a00:1", "2002:7f00:1::1", "2002:a00:1::1",
    "2001:0:4136:e378:8000:63bf:f5ff:fffe", "2002:c000:201::1", "3fff::1", "192.88.99.1", "5f00::1",
]
PUBLIC_ADDRESSES = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "151.101.1.69", "2606:4700:4700::1111",
                    "2a00:1450:4001:80b::200e", "2002:808:808::1", "::ffff:8.8.8.8",
                    "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_private_and_special_addresses_are_not_public(address):
    assert is_public_address(address) is False


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_are_public(address):
    # 6to4 of a public host (2002:808:808::1) is public on every Python: newer releases' own
    # tables count all of 2002::/16 as private, older ones did not; ideas/addresses.py decides.
    assert is_public_address(address) is True


# Hosts the OS reads as IPv4 addresses though ipaddress does not: inet_aton's decimal, octal,
# hexadecimal and short forms.
NUMERIC_HOSTS = [
    ("2130706433", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("127.1", "127.0.0.1"),
    ("0x7F000001", "127.0.0.1"), ("017700000001", "127.0.0.1"), ("10.1.1", "10.1.0.1"), ("0", "0.0.0.0"),
    ("1.0x2.03.4", "1.2.3.4"), ("169.254.43518", "169.254.169.254"), ("134744072", "8.8.8.8"),
    ("8.8.8.8", "8.8.8.8"),
]
NOT_NUMERIC_HOSTS = ["hooks.example.com", "hooks.example.com.", "localhost", "1e3", "0x7g", "1.2.3.x", "a1"]
# They end in a number, so they are not host names either (no top-level domain is all digits).
BROKEN_NUMERIC_HOSTS = ["256.0.0.1", "1.256.0.1", "1.2.65536", "4294967296", "1.2.3.4.5", "0189.0.0.1",
                        "08", "0x", "example.1", "example.0x1", "1..2", "127.0.0.1."]


@pytest.mark.parametrize("host, address", NUMERIC_HOSTS)
def test_numeric_hosts_are_read_as_the_os_reads_them(host, address):
    assert str(numeric_ipv4(host)) == address
    assert socket.inet_ntoa(socket.inet_aton(host)) == address


@pytest.mark.parametrize("host", NOT_NUMERIC_HOSTS)
def test_host_names_are_not_numeric(host):
    assert numeric_ipv4(host) is None


@pytest.mark.parametrize("host", BROKEN_NUMERIC_HOSTS)
def test_hosts_ending_in_a_number_that_are_no_address_are_refused(host):
    with pytest.raises(ValueError):
        numeric_ipv4(host)
    with pytest.raises(OSError):
        socket.inet_aton(host)


def test_a_delivery_to_loopback_is_refused_without_the_setting(app, receiver, make_endpoint, make_idea,
                                                               fetch):
    make_endpoint(receiver.url)
    make_idea()

    deliver(fetch)

    assert receiver.requests == []
    [row] = deliveries(fetch)
    assert (row["state"], row["attempts"], row["status_code"]) == ("pending", 1, None)
    assert row["last_error"].startswith("Refused: 127.0.0.1 resolves to 127.0.0.1")


def test_a_name_resolving_to_loopback_is_refused(app, receiver, make_endpoint, make_idea, fetch):
    make_endpoint(receiver.url.replace("127.0.0.1", "localhost"))
    make_idea()

    deliver(fetch)

    assert receiver.requests == []
    assert deliveries(fetch)[0]["last_error"].startswith("Refused: localhost resolves to")


@pytest.fixture
def fake_dns(monkeypatch):
    """Answer lookups of *.example.test with the addresses in `.answers`; count the lookups."""
    real = socket.getaddrinfo

    class Dns:
        answers = ["127.0.0.1"]
        lookups = []

    def lookup(host, port, *args, **kwargs):
        if str(host).endswith(".example.test"):
            Dns.lookups.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in Dns.answers]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return Dns


def test_the_checked_address_is_the_one_connected_to(app, receiver, allow_private, make_endpoint,
                                                     make_idea, fetch, fake_dns):
    port = receiver.server_address[1]
    make_endpoint(f"http://hooks.example.test:{port}/in")
    make_idea()

    deliver(fetch)

    [request] = receiver.requests
    assert request["headers"]["Host"] == f"hooks.example.test:{port}"
    assert fake_dns.lookups == ["hooks.example.test"]
    assert deliveries(fetch)[0]["state"] == "delivered"


def test_a_name_that_now_resolves_to_a_private_address_is_refused(app, receiver, make_endpoint,
                                                                  make_idea, fetch, fake_dns):
    make_endpoint(f"http://hooks.example.test:{receiver.server_address[1]}/in")
    make_idea()
    fake_dns.answers = ["10.1.2.3"]

    deliver(fetch)

    assert receiver.requests == []
    assert "10.1.2.3" in deliveries(fetch)[0]["last_error"]


def test_a_name_mixing_public_and_private_answers_is_refused(app, receiver, make_endpoint, make_idea,
                                                             fetch, fake_dns):
    make_endpoint(f"http://hooks.example.test:{receiver.server_address[1]}/in")
    make_idea()
    fake_dns.answers = ["8.8.8.8", "127.0.0.1"]

    deliver(fetch)

    assert receiver.requests == []
    assert deliveries(fetch)[0]["last_error"].startswith(
        "Refused: hooks.example.test resolves to 127.0.0.1")



# HTTPS: the certificate is checked against the host name, sent by SNI, at the checked address.

@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate and key for hooks.example.test, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=hooks.example.test", "-addext", "subjectAltName=DNS:hooks.example.test",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_receiver(receiver, certificate):
    """The receiver speaking HTTPS with that certificate; `.server_names` keeps the SNI it was sent."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    receiver.server_names = []
    context.sni_callback = lambda sock, name, ctx: receiver.server_names.append(name)
    receiver.socket = context.wrap_socket(receiver.socket, server_side=True)
    return receiver


def trust(monkeypatch, cert):
    """Make webhook deliveries trust `cert` as if a public authority had signed it."""
    real = ssl.create_default_context
    monkeypatch.setattr(transport.ssl, "create_default_context", lambda: real(cafile=str(cert)))


def test_https_goes_to_the_checked_address_with_the_name_for_sni(app, tls_receiver, certificate,
                                                                  allow_private, make_endpoint, make_idea,
                                                                  fetch, fake_dns, monkeypatch):
    trust(monkeypatch, certificate[0])
    make_endpoint(f"https://hooks.example.test:{tls_receiver.server_address[1]}/in")
    make_idea()

    deliver(fetch)

    assert tls_receiver.server_names == ["hooks.example.test"]
    [request] = tls_receiver.requests
    assert signature_ok(SECRET, request)
    assert deliveries(fetch)[0]["state"] == "delivered"


def test_https_to_an_untrusted_certificate_fails(app, tls_receiver, allow_private, make_endpoint,
                                                 make_idea, fetch, fake_dns):
    make_endpoint(f"https://hooks.example.test:{tls_receiver.server_address[1]}/in")
    make_idea()

    deliver(fetch)

    assert tls_receiver.requests == []
    [row] = deliveries(fetch)
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert "CERTIFICATE_VERIFY_FAILED" in row["last_error"]


def test_https_to_a_certificate_for_another_name_fails(app, tls_receiver, certificate, allow_private,
                                                       make_endpoint, make_idea, fetch, monkeypatch):
    trust(monkeypatch, certificate[0])
    make_endpoint(f"https://127.0.0.1:{tls_receiver.server_address[1]}/in")
    make_idea()

    deliver(fetch)

    assert tls_receiver.requests == []
    assert "CERTIFICATE_VERIFY_FAILED" in deliveries(fetch)[0]["last_error"]


# The admin pages.

ROUTES = [
    ("GET", "/admin/webhooks", {}),
    ("GET", "/admin/webhooks/new", {}),
    ("POST", "/admin/webhooks/new", {"url": "https://hooks.example.com/new", "events": ["vote.created"]}),
    ("GET", "/admin/webhooks/{endpoint}", {}),
    ("GET", "/admin/webhooks/{endpoint}/edit", {}),
    ("POST", "/admin/webhooks/{endpoint}/edit",
     {"url": "https://hooks.example.com/b", "events": ["idea.merged"], "active": "y"}),
    ("POST", "/admin/webhooks/{endpoint}/active", {"active": "0"}),
    ("POST", "/admin/webhooks/{endpoint}/delete", {}),
    ("POST", "/admin/webhooks/{endpoint}/test", {}),
]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("actor", ["anonymous", "member", "staff", "admin"])
@pytest.mark.parametrize("method, route, data", ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES])
def test_only_admins_use_the_webhook_pages(client, auth, people, make_endpoint, fetch, method, route,
                                           data, actor):
    endpoint_id = make_endpoint(f"http://127.0.0.1:{free_port()}/")
    if actor != "anonymous":
        auth.login(people[actor])

    response = client.open(route.format(endpoint=endpoint_id), method=method, data=data)

    if actor == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
    elif actor != "admin":
        assert response.status_code == 403
        assert fetch(lambda: db.session.execute(select(func.count()).select_from(WebhookEndpoint))
                     .scalar_one()) == 1
        assert audit_actions(fetch) == []
    else:
        assert response.status_code == (200 if method == "GET" else 303), response.get_data(as_text=True)


def test_admin_adds_an_endpoint_and_a_secret_is_made(client, auth, people, fetch):
    auth.login(people["admin"])

    response = client.post("/admin/webhooks/new", data={
        "url": "https://hooks.example.com/ideas", "events": ["vote.created", "idea.created"]})

    assert response.status_code == 303
    endpoint = fetch(lambda: db.session.execute(select(WebhookEndpoint)).scalar_one())
    assert response.headers["Location"] == f"/admin/webhooks/{endpoint.id}"
    assert (endpoint.url, endpoint.events, endpoint.active) == (
        "https://hooks.example.com/ideas", "idea.created vote.created", True)
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    assert endpoint.secret in client.get(response.headers["Location"]).get_data(as_text=True)
    [(action, before, after)] = audit_actions(fetch)
    assert action == "webhook.created" and before == {}
    assert after == {"url": "https://hooks.example.com/ideas", "events": "idea.created vote.created",
                     "active": True}


def test_a_typed_secret_is_kept(client, auth, people, fetch):
    auth.login(people["admin"])

    client.post("/admin/webhooks/new", data={"url": "https://hooks.example.com/", "events": ["idea.merged"],
                                             "secret": "my-own-secret-from-zapier"})

    endpoint = fetch(lambda: db.session.execute(select(WebhookEndpoint)).scalar_one())
    assert endpoint.secret == "my-own-secret-from-zapier"
    assert "my-own-secret-from-zapier" not in json.dumps(audit_actions(fetch))


BAD_ENDPOINTS = [
    ({"url": "ftp://hooks.example.com/x", "events": ["idea.created"]}, "url", "http:// or https://"),
    ({"url": "", "events": ["idea.created"]}, "url", "Enter the URL"),
    ({"url": "https://", "events": ["idea.created"]}, "url", "valid host name"),
    ({"url": "https://bob:pw@hooks.example.com/", "events": ["idea.created"]}, "url", "passwords"),
    ({"url": "https://hooks.example.com/" + "a" * 500, "events": ["idea.created"]}, "url", "500 characters"),
    ({"url": "https://hooks.example.com/a b", "events": ["idea.created"]}, "url", "without spaces"),
    ({"url": "https://hooks.example.com:99999/", "events": ["idea.created"]}, "url", "port"),
    ({"url": "http://127.0.0.1:8080/", "events": ["idea.created"]}, "url", "private or loopback"),
    ({"url": "http://[::1]/", "events": ["idea.created"]}, "url", "private or loopback"),
    ({"url": "http://localhost/", "events": ["idea.created"]}, "url", "private or loopback"),
    ({"url": "http://169.254.169.254/latest", "events": ["idea.created"]}, "url", "private or loopback"),
    *[({"url": f"http://{host}/", "events": ["idea.created"]}, "url", "private or loopback")
      for host in ("2130706433", "0177.0.0.1", "0x7f.1", "127.1", "169.254.43518", "012.1")],
    *[({"url": f"http://{host}/", "events": ["idea.created"]}, "url", "valid host name")
      for host in ("256.0.0.1", "4294967296", "1.2.3.4.5", "0189.0.0.1", "example.0x1", "127.0.0.1.")],
    ({"url": "https://hooks.example.com/"}, "events", "at least one event"),
    ({"url": "https://hooks.example.com/", "events": ["idea.deleted"]}, "events", "from the list"),
    ({"url": "https://hooks.example.com/", "events": ["idea.created"], "secret": "short"}, "secret",
     "16 to 100"),
    ({"url": "https://hooks.example.com/", "events": ["idea.created"], "secret": "has spaces in it ok?"},
     "secret", "without spaces"),
]


@pytest.mark.parametrize("data, field, problem", BAD_ENDPOINTS, ids=[case[2] for case in BAD_ENDPOINTS])
def test_a_bad_endpoint_is_refused_with_the_form_kept(client, auth, people, fetch, data, field, problem):
    auth.login(people["admin"])

    response = client.post("/admin/webhooks/new", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problem in page
    assert f'id="{field}-error"' in page
    if data["url"]:
        assert f'value="{data["url"].replace("&", "&amp;")}"' in page
    assert fetch(lambda: db.session.execute(select(func.count()).select_from(WebhookEndpoint))
                 .scalar_one()) == 0
    assert audit_actions(fetch) == []


def test_with_the_setting_on_a_loopback_url_may_be_saved(client, auth, people, allow_private, fetch):
    auth.login(people["admin"])

    response = client.post("/admin/webhooks/new", data={"url": "http://127.0.0.1:9000/",
                                                        "events": ["idea.created"]})

    assert response.status_code == 303
    assert fetch(lambda: db.session.execute(select(WebhookEndpoint.url)).scalar_one()) == \
        "http://127.0.0.1:9000/"


def test_a_public_address_in_decimal_may_be_saved(client, auth, people, fetch):
    auth.login(people["admin"])

    response = client.post("/admin/webhooks/new", data={"url": "http://134744072/",
                                                        "events": ["idea.created"]})

    assert response.status_code == 303
    assert fetch(lambda: db.session.execute(select(WebhookEndpoint.url)).scalar_one()) == "http://134744072/"


def test_with_the_setting_on_a_decimal_loopback_url_may_be_saved_but_not_a_broken_one(client, auth, people,
                                                                                       allow_private):
    auth.login(people["admin"])

    events = ["idea.created"]
    saved = client.post("/admin/webhooks/new", data={"url": "http://2130706433/", "events": events})
    broken = client.post("/admin/webhooks/new", data={"url": "http://0189.0.0.1/", "events": events})

    assert saved.status_code == 303
    assert broken.status_code == 422
    assert "valid host name" in broken.get_data(as_text=True)


def test_the_edit_form_shows_the_endpoint_but_not_its_secret(client, auth, people, make_endpoint):
    endpoint_id = make_endpoint("https://hooks.example.com/a", events=["idea.merged"])
    auth.login(people["admin"])

    page = client.get(f"/admin/webhooks/{endpoint_id}/edit").get_data(as_text=True)

    assert 'value="https://hooks.example.com/a"' in page
    assert 'value="idea.merged" checked' in page or 'checked id="events-3"' in page
    assert SECRET not in page


def test_admin_edits_an_endpoint_and_the_audit_log_keeps_it(client, auth, people, make_endpoint, fetch):
    endpoint_id = make_endpoint("https://hooks.example.com/a", events=["idea.merged"])
    auth.login(people["admin"])

    response = client.post(f"/admin/webhooks/{endpoint_id}/edit", data={
        "url": "https://hooks.example.com/b", "events": ["idea.merged", "vote.created"], "active": "y"})

    assert response.status_code == 303
    endpoint = fetch(lambda: db.session.get(WebhookEndpoint, endpoint_id))
    assert (endpoint.url, endpoint.events, endpoint.secret) == (
        "https://hooks.example.com/b", "idea.merged vote.created", SECRET)
    assert audit_actions(fetch) == [(
        "webhook.changed", {"url": "https://hooks.example.com/a", "events": "idea.merged"},
        {"url": "https://hooks.example.com/b", "events": "idea.merged vote.created"})]


def test_admin_replaces_the_secret_with_a_new_one(client, auth, people, make_endpoint, fetch):
    endpoint_id = make_endpoint("https://hooks.example.com/a", events=["idea.merged"])
    auth.login(people["admin"])

    client.post(f"/admin/webhooks/{endpoint_id}/edit", data={
        "url": "https://hooks.example.com/a", "events": ["idea.merged"], "active": "y", "new_secret": "y"})

    secret = fetch(lambda: db.session.get(WebhookEndpoint, endpoint_id).secret)
    assert secret != SECRET and secret.startswith("whsec_")
    assert audit_actions(fetch) == [("webhook.changed", {"secret": "old"}, {"secret": "replaced"})]


def test_a_bad_edit_is_refused_with_what_was_typed(client, auth, people, make_endpoint, fetch):
    endpoint_id = make_endpoint("https://hooks.example.com/a", events=["idea.merged"])
    auth.login(people["admin"])

    response = client.post(f"/admin/webhooks/{endpoint_id}/edit", data={
        "url": "gopher://old.example.com/", "events": [], "active": "y"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="gopher://old.example.com/"' in page
    assert "at least one event" in page
    assert fetch(lambda: db.session.get(WebhookEndpoint, endpoint_id).url) == "https://hooks.example.com/a"


def test_admin_disables_and_enables_an_endpoint(client, auth, people, make_endpoint, fetch):
    endpoint_id = make_endpoint("https://hooks.example.com/a")
    auth.login(people["admin"])

    client.post(f"/admin/webhooks/{endpoint_id}/active", data={"active": "0"})
    disabled = fetch(lambda: db.session.get(WebhookEndpoint, endpoint_id).active)
    client.post(f"/admin/webhooks/{endpoint_id}/active", data={"active": "1"})

    assert disabled is False
    assert fetch(lambda: db.session.get(WebhookEndpoint, endpoint_id).active) is True
    assert [action for action, _, _ in audit_actions(fetch)] == ["webhook.disabled", "webhook.enabled"]


def test_admin_deletes_an_endpoint_with_its_log(client, auth, people, make_endpoint, make_idea, fetch):
    endpoint_id = make_endpoint("https://hooks.example.com/a")
    make_idea()
    auth.login(people["admin"])

    response = client.post(f"/admin/webhooks/{endpoint_id}/delete")

    assert response.status_code == 303 and response.headers["Location"] == "/admin/webhooks"
    assert fetch(lambda: db.session.get(WebhookEndpoint, endpoint_id)) is None
    assert deliveries(fetch) == []
    assert audit_actions(fetch) == [("webhook.deleted", {"url": "https://hooks.example.com/a",
                                                         "events": " ".join(WEBHOOK_EVENTS), "active": True},
                                     {})]


def test_acting_on_a_missing_endpoint_is_404(client, auth, people):
    auth.login(people["admin"])

    assert client.get("/admin/webhooks/999").status_code == 404
    assert client.post("/admin/webhooks/999/test").status_code == 404


def test_the_send_test_button_posts_a_signed_ping_and_shows_the_result(client, auth, people, receiver,
                                                                       allow_private, make_endpoint, fetch):
    endpoint_id = make_endpoint(receiver.url, events=["idea.merged"])
    auth.login(people["admin"])

    response = client.post(f"/admin/webhooks/{endpoint_id}/test", follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "Test delivered: the endpoint answered 200." in page
    [request] = receiver.requests
    assert request["headers"]["Ideas-Event"] == "ping"
    assert signature_ok(SECRET, request)
    assert json.loads(request["body"])["data"]["endpoint_id"] == endpoint_id
    [row] = deliveries(fetch)
    assert (row["event"], row["state"], row["status_code"], row["attempts"]) == ("ping", "delivered", 200, 1)
    assert f'id="delivery-{row["id"]}"' in page


def test_a_failed_test_says_why_and_is_not_retried(client, auth, people, receiver, make_endpoint, fetch):
    endpoint_id = make_endpoint(receiver.url)
    auth.login(people["admin"])

    response = client.post(f"/admin/webhooks/{endpoint_id}/test", follow_redirects=True)

    assert "Test failed: Refused" in response.get_data(as_text=True)
    assert receiver.requests == []
    [row] = deliveries(fetch)
    assert (row["state"], row["attempts"], row["next_attempt_at"]) == ("failed", 1, None)


def test_the_delivery_log_shows_event_status_code_attempts_and_error(client, auth, people, receiver,
                                                                     allow_private, make_endpoint,
                                                                     make_idea, fetch):
    endpoint_id = make_endpoint(receiver.url)
    make_idea()
    receiver.statuses = [503]
    deliver(fetch)
    auth.login(people["admin"])

    page = client.get(f"/admin/webhooks/{endpoint_id}").get_data(as_text=True)

    [row] = deliveries(fetch)
    log_row = page.split(f'id="delivery-{row["id"]}"')[1].split("</tr>")[0]
    assert "<code>idea.created</code>" in log_row
    assert "<td>503</td>" in log_row and "<td>1</td>" in log_row
    assert "HTTP 503 Service Unavailable" in log_row and "Pending" in log_row


def test_the_list_shows_each_endpoint_and_how_its_deliveries_went(client, auth, people, make_endpoint,
                                                                  make_idea):
    endpoint_id = make_endpoint("https://hooks.example.com/a", events=["idea.created"])
    make_endpoint("https://hooks.example.com/off", active=False)
    make_idea()
    auth.login(people["admin"])

    page = client.get("/admin/webhooks").get_data(as_text=True)

    row = page.split(f'id="endpoint-{endpoint_id}"')[1].split("</tr>")[0]
    assert "https://hooks.example.com/a" in row and "<code>idea.created</code>" in row
    assert "0 delivered, 1 pending, 0 failed" in row
    assert "Disabled" in page


def test_an_empty_list_says_so(client, auth, people):
    auth.login(people["admin"])

    assert "No endpoints yet" in client.get("/admin/webhooks").get_data(as_text=True)


def test_the_admin_setting_allows_private_addresses_and_is_audited(client, auth, people, fetch):
    auth.login(people["admin"])

    response = client.post("/admin/settings", data={"allow_private_webhooks": "y"})

    assert response.status_code == 303
    assert fetch(lambda: get_setting("allow_private_webhooks")) == "1"
    assert audit_actions(fetch) == [("settings.changed", {"allow_private_webhooks": False},
                                     {"allow_private_webhooks": True})]


def test_the_admin_navigation_leads_to_webhooks(client, auth, people):
    auth.login(people["admin"])

    page = client.get("/admin/webhooks").get_data(as_text=True)

    assert '<a href="/admin/webhooks" aria-current="page">Webhooks</a>' in page


def test_webhook_pages_carry_no_inline_code(client, auth, people, make_endpoint):
    endpoint_id = make_endpoint("https://hooks.example.com/a")
    auth.login(people["admin"])

    for url in ("/admin/webhooks", "/admin/webhooks/new", f"/admin/webhooks/{endpoint_id}",
                f"/admin/webhooks/{endpoint_id}/edit"):
        page = client.get(url).get_data(as_text=True)
        assert " style=" not in page and "hx-on" not in page and "<script>" not in page, url

