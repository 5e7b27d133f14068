"""The email worker under faults: killed or stopped mid-batch, a mail server that drips its
answers or fails for now, a database that hiccups just after the mail server took a message.

Process faults use real processes: `flask --app ideas worker` against the test's database (a
SQLite file, and PostgreSQL when given), sending to a real SMTP server in this process. The
lease, its renewal and the deadline of a send are set in seconds so each drill stays short.
"""
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.engine import make_url

from helpers import dispose, run_worker
from ideas import create_app
from ideas.account_emails import queue_account_email
from ideas.delivery import claim_batch
from ideas.extensions import db
from ideas.following import follow_idea
from ideas.models import AccountEmail, OutboxRow, User, utcnow
from ideas.statuses import change_status
from smtp import DrippingSmtpServer, SlowSmtpServer, SmtpServer

pytestmark = pytest.mark.drill  # the second interpreter leaves these out (tools/test-newest)

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = "https://ideas.example.test"
# Small numbers of the same shape as the defaults (45 s lease, renewed every 15 s, 20 s a send).
QUICK = dict(WORKER_LEASE_SECONDS=3, WORKER_RENEW_SECONDS=1, MAIL_SEND_DEADLINE_SECONDS=1.5)
QUEUES = {"outbox": (OutboxRow, OutboxRow.email_state), "account": (AccountEmail, AccountEmail.state)}


# Emails waiting in either queue.

@pytest.fixture
def queue_emails(app, make_user, make_idea):
    """queue_emails("outbox" | "account", count): that many emails due, one per new member;
    returns their addresses. Outbox: a status change the members follow; account: reset links."""
    def queue(kind, count):
        members = [make_user() for _ in range(count)]
        if kind == "account":
            with app.test_request_context():
                for member in members:
                    queue_account_email("reset", member.email)
                db.session.commit()
            return [member.email for member in members]
        staff = make_user(role="staff")
        idea = make_idea(author=staff)
        with app.app_context():
            loaded = db.session.get(type(idea), idea.id)
            for member in members:
                follow_idea(db.session.get(User, member.id), loaded)
            change_status(db.session.get(User, staff.id), loaded, "planned")
            db.session.commit()
            # The staff author is told too; this drill is about the members.
            db.session.execute(update(OutboxRow).where(OutboxRow.user_id == staff.id)
                               .values(email_state="skipped", next_attempt_at=None))
            db.session.commit()
        return [member.email for member in members]

    return queue


def rows(app, kind):
    """Each row of the queue as (address, state, attempts, claimed_until, next_attempt_at, last_error)."""
    model, state = QUEUES[kind]
    address = AccountEmail.address if kind == "account" else User.email
    statement = select(address, state, model.attempts, model.claimed_until, model.next_attempt_at,
                       model.last_error).order_by(model.id)
    if kind == "outbox":
        statement = (statement.join(User, User.id == OutboxRow.user_id)
                     .where(OutboxRow.email_state != "skipped"))
    with app.app_context():
        return [tuple(row) for row in db.session.execute(statement)]


def states(app, kind):
    """How many rows of the queue are in each state."""
    return Counter(row[1] for row in rows(app, kind))


def make_due_now(app, kind):
    """As if the back-off of every waiting row had passed."""
    model, _ = QUEUES[kind]
    with app.app_context():
        db.session.execute(update(model).where(model.next_attempt_at.is_not(None))
                           .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def wait_until(condition, timeout, step=0.05):
    """Poll `condition` until it holds; False if `timeout` seconds passed first."""
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if condition():
            return True
        time.sleep(step)
    return condition()


def received(server):
    """How many times the server took each recipient's message."""
    return Counter(message["To"] for message in server.messages)


# A real worker process.

def start_worker(database_url, server, log_path, **settings):
    """`flask --app ideas worker` in its own process, on the test's database and mail server."""
    # Each member's one email goes out at once: these drills are about the lease, not the window.
    env = dict(os.environ, IDEAS_ENV="development", DATABASE_URL=database_url, SECRET_KEY="drill",
               BASE_URL=BASE_URL, MAIL_SERVER=server.host, MAIL_PORT=str(server.port),
               WORKER_IN_PROCESS="0", NOTIFY_COLLAPSE_SECONDS="0",
               **{name: str(value) for name, value in settings.items()})
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "ideas", "worker", "--poll", "0.2"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture
def workers(database_url, tmp_path):
    """workers.start(server, **settings) starts a worker process; all are gone after the test."""
    started = []

    class Workers:
        log = tmp_path / "worker.log"

        def start(self, server, **settings):
            process = start_worker(database_url, server, self.log, **settings)
            started.append(process)
            return process

    yield Workers()
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def slow_server():
    """A mail server that takes 0.4 s over each email, before any is handed over."""
    server = SlowSmtpServer(pause=0.4).start()
    yield server
    server.stop()


def test_a_killed_workers_batch_is_sent_by_the_next_worker_within_the_lease_and_none_twice(
        app, queue_emails, slow_server, workers):
    addresses = queue_emails("outbox", 8)
    first = workers.start(slow_server, **QUICK)
    assert wait_until(lambda: len(slow_server.messages) >= 3 and slow_server.in_mail.is_set(), 20), \
        workers.log.read_text()

    first.send_signal(signal.SIGKILL)  # mid-batch, with an email in hand
    first.wait(timeout=5)
    killed_at = time.monotonic()
    workers.start(slow_server, **QUICK)
    all_sent = wait_until(lambda: states(app, "outbox") == {"sent": 8}, 20)
    elapsed = time.monotonic() - killed_at

    assert all_sent, (rows(app, "outbox"), workers.log.read_text())
    assert received(slow_server) == {address: 1 for address in addresses}
    # The rest of the batch waited at most one lease (3 s), then ~5 emails at 0.4 s and a start-up.
    assert elapsed < QUICK["WORKER_LEASE_SECONDS"] + 6


@pytest.mark.parametrize("signum", [signal.SIGTERM,
                                    pytest.param(signal.SIGINT, marks=pytest.mark.sqlite_only)])
def test_a_stopped_worker_finishes_the_email_in_hand_and_gives_back_the_rest_at_once(
        app, queue_emails, slow_server, workers, signum):
    addresses = queue_emails("account", 5)
    # A long lease: the next worker must not need it to run out.
    settings = dict(WORKER_LEASE_SECONDS=60, WORKER_RENEW_SECONDS=10, MAIL_SEND_DEADLINE_SECONDS=5)
    first = workers.start(slow_server, **settings)
    assert wait_until(lambda: len(slow_server.messages) >= 1 and slow_server.in_mail.is_set(), 20), \
        workers.log.read_text()

    first.send_signal(signum)
    assert first.wait(timeout=10) == 0, workers.log.read_text()

    assert len(slow_server.messages) == 2  # the one sent, and the one in hand when told to stop
    left = [row for row in rows(app, "account") if row[1] == "pending"]
    assert len(left) == 3 and all(row[3] is None for row in left)  # no claim left on them
    started = time.monotonic()
    workers.start(slow_server, **settings)
    assert wait_until(lambda: states(app, "account") == {"sent": 5}, 10), workers.log.read_text()
    assert time.monotonic() - started < 10  # not the 60 s lease
    assert received(slow_server) == {address: 1 for address in addresses}


# A mail server that drips its answer past the lease.

@pytest.mark.parametrize("kind", QUEUES)
def test_a_dripping_mail_server_is_cut_off_at_the_deadline_and_no_second_worker_sends_again(
        app, queue_emails, kind):
    [address] = queue_emails(kind, 1)
    server = DrippingSmtpServer(for_seconds=5, every=0.2).start()
    app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port, BASE_URL=BASE_URL, **QUICK)
    try:
        first = threading.Thread(target=run_worker, args=(app,))
        first.start()
        time.sleep(QUICK["WORKER_LEASE_SECONDS"] + 0.5)  # past the lease the first worker's send began under
        second_handled = run_worker(app)
        first.join(timeout=10)
        after_two_workers = list(server.messages)
        [(_, state, attempts, _, due, error)] = rows(app, kind)

        make_due_now(app, kind)
        run_worker(app)
    finally:
        server.stop()

    assert (after_two_workers, second_handled) == ([], 0)  # cut off, and not taken over meanwhile
    assert (state, attempts) == ("pending", 1)
    assert error.startswith("SendDeadlinePassed") and due > utcnow() + timedelta(seconds=20)
    assert received(server) == {address: 1}


# A database hiccup right after the mail server took the message.

class LocksTheDatabaseOnAccepting(SmtpServer):
    """Accepts each message, then keeps the database locked for `seconds` (another writer's
    long transaction: SQLite's write lock, or PostgreSQL row locks on `table`)."""

    def __init__(self, database_url, table, seconds=1.5):
        super().__init__()
        self.database_url, self.table, self.seconds = database_url, table, seconds

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        self._lock()
        return reply

    def _lock(self):
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite":
            connection = sqlite3.connect(url.database, isolation_level=None, check_same_thread=False)
            connection.execute("BEGIN IMMEDIATE")
            unlock = connection.rollback
        else:
            engine = create_engine(self.database_url)
            connection = engine.connect()
            connection.exec_driver_sql(f"SELECT id FROM {self.table} FOR UPDATE")
            unlock = lambda: (connection.rollback(), engine.dispose())  # noqa: E731
        timer = threading.Timer(self.seconds, lambda: (unlock(), connection.close()))
        timer.start()


@pytest.mark.parametrize("kind", QUEUES)
def test_a_database_error_on_recording_sent_is_retried_and_the_email_not_sent_again(
        database_url, app, queue_emails, kind):
    [address] = queue_emails(kind, 1)
    server = LocksTheDatabaseOnAccepting(database_url, QUEUES[kind][0].__tablename__).start()
    # The worker gives up waiting for a lock after 0.2 s: the lock above makes its write fail.
    worker = create_app("testing", dict(
        SQLALCHEMY_DATABASE_URI=database_url, MAIL_SERVER=server.host, MAIL_PORT=server.port,
        BASE_URL=BASE_URL, DATABASE_BACKGROUND_BUSY_TIMEOUT_SECONDS=0.2, PG_BACKGROUND_LOCK_TIMEOUT_MS=200,
        **QUICK))
    try:
        run_worker(worker)
        time.sleep(QUICK["WORKER_LEASE_SECONDS"])  # were the row given back, it would be due again by now
        run_worker(worker)
    finally:
        dispose(worker)
        server.stop()

    assert received(server) == {address: 1}
    assert states(app, kind) == {"sent": 1}


# Temporary failures: logged, and backed off from the end of the attempt.

class SlowTemporaryRefusal(SmtpServer):
    """Answers every recipient, after `pause` seconds, with a temporary refusal."""

    def __init__(self, pause=0.0):
        super().__init__()
        self.pause = pause

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        """aiosmtpd's hook: wait, then refuse for now."""
        import asyncio

        await asyncio.sleep(self.pause)
        return "451 4.7.1 Greylisted, try again later"


@pytest.mark.parametrize("kind", QUEUES)
def test_a_temporary_failure_is_logged_with_the_row_the_recipients_domain_and_the_code(
        app, queue_emails, caplog, kind):
    [address] = queue_emails(kind, 1)
    server = SlowTemporaryRefusal().start()
    app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port, BASE_URL=BASE_URL)
    try:
        with caplog.at_level(logging.WARNING, logger="ideas"):
            run_worker(app)
    finally:
        server.stop()

    label = "outbox row" if kind == "outbox" else "account email"
    [record] = [record for record in caplog.records if "failed for now" in record.getMessage()]
    assert record.getMessage().startswith(f"{label} ")
    assert f" to {address.rpartition('@')[2]} " in record.getMessage()
    assert "(code 451)" in record.getMessage()
    assert address.partition("@")[0] not in record.getMessage()  # the domain, not the address
    assert rows(app, kind)[0][1:3] == ("pending", 1)


@pytest.mark.parametrize("kind", QUEUES)
def test_the_back_off_counts_from_the_end_of_the_attempt(app, queue_emails, kind):
    queue_emails(kind, 1)
    server = SlowTemporaryRefusal(pause=1.5).start()
    app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port, BASE_URL=BASE_URL,
                      MAIL_SEND_DEADLINE_SECONDS=5)
    try:
        started = utcnow()
        run_worker(app)
    finally:
        server.stop()

    [(_, state, attempts, _, due, _)] = rows(app, kind)
    assert (state, attempts) == ("pending", 1)
    assert due >= started + timedelta(seconds=1.5 + 30)  # the first retry waits 30 s


def test_a_live_workers_lease_is_renewed_so_another_worker_takes_none_of_its_batch(app, queue_emails,
                                                                                   slow_server):
    addresses = queue_emails("outbox", 10)  # 10 x 0.4 s: longer than the 3 s lease
    app.config.update(MAIL_SERVER=slow_server.host, MAIL_PORT=slow_server.port, BASE_URL=BASE_URL, **QUICK)
    first = threading.Thread(target=run_worker, args=(app,))
    first.start()
    time.sleep(QUICK["WORKER_LEASE_SECONDS"] + 0.5)
    with app.app_context():
        with claim_batch() as taken:
            taken_by_second = taken.ids
    first.join(timeout=10)

    assert taken_by_second == []
    assert received(slow_server) == {address: 1 for address in addresses}
