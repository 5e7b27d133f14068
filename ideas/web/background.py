"""Work a request hands to a thread of its process, so its answer does not wait for it.

Account emails that go out only when an address has an account ("we emailed you if it does")
must not make the answer slower when it does: the request hands the whole job, the look-up
included, to this thread whatever the address, and answers at once. The job runs in a request
context like the one that asked (same language), on its
own database session, on BASE_URL.

The queue lives in memory: a process that dies with jobs waiting loses them (the person asks
again). Threads of a pool are joined when the interpreter exits, so a clean shutdown (gunicorn's
graceful stop) finishes what is queued. `BACKGROUND_WAIT` (tests) makes the request run its job
at once and wait for it, so a test sees the email with the answer; the job still runs in the thread.
"""
import logging
import os
import threading
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor

from flask import after_this_request, current_app
from flask_babel import force_locale

from ..database import writing
from ..extensions import db
from ..i18n import current_locale

log = logging.getLogger(__name__)

_EXTENSION = "ideas.background"
_PENDING = "ideas.background.pending"
_lock = threading.Lock()


def _executor(app):
    """This process's pool for `app`, made on first use (after gunicorn forks, never before)."""
    with _lock:
        pid, executor = app.extensions.get(_EXTENSION, (None, None))
        if pid != os.getpid():
            executor = ThreadPoolExecutor(max_workers=app.config["BACKGROUND_THREADS"],
                                          thread_name_prefix="ideas-background")
            app.extensions[_EXTENSION] = (os.getpid(), executor)
        return executor


def run_in_background(job, *args):
    """Run `job(*args)` in the background thread once this request's answer is sent, in a request
    context like this one's (its links and language).

    Once sent, not merely made: a job that started at once would share the interpreter with the
    rest of the answer and slow it down, which is what it is there to hide. The caller ends its
    transaction first: the job writes on its own session, and SQLite lets one writer at a time."""
    app = current_app._get_current_object()
    work = (_run, app, current_locale(), job, args)
    if app.config["BACKGROUND_WAIT"]:
        _submit(app, *work).result()
        return

    @after_this_request
    def after_sending(response):
        # The server closes the response when the last byte is written.
        response.call_on_close(lambda: _submit(app, *work))
        return response


def _submit(app, *work):
    future = _executor(app).submit(*work)
    with _lock:
        app.extensions.setdefault(_PENDING, set()).add(future)
    future.add_done_callback(lambda done: _forget(app, done))
    return future


def _forget(app, future):
    with _lock:
        app.extensions.get(_PENDING, set()).discard(future)


def _run(app, locale, job, args):
    # On BASE_URL, never the asking request's Host: the client chooses that header.
    with app.test_request_context(base_url=app.config["BASE_URL"]), force_locale(locale), writing():
        try:
            job(*args)
            db.session.commit()
        except Exception:  # nobody waits for the result: a failure must at least be logged
            db.session.rollback()
            log.exception("background job %s failed", getattr(job, "__name__", job))
            if app.config["BACKGROUND_WAIT"]:
                raise


def wait_for_background(app, timeout=10):
    """Block until every job queued so far in this process for `app` has run (tests)."""
    pid, executor = app.extensions.get(_EXTENSION, (None, None))
    if executor is not None and pid == os.getpid():
        # The queued jobs' own futures: shutting the pool down to wait would stop it for good.
        with _lock:
            pending = list(app.extensions.get(_PENDING, ()))
        futures.wait(pending, timeout)
