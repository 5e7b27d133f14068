"""Commands: `flask --app ideas seed-demo`, `create-admin`, `worker`, `check`."""
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import click
from flask import Flask
from flask.cli import with_appcontext

from . import accounts
from .database import writing
from .demo import DEMO_PASSWORD, has_data, seed_demo
from .errors import InvalidInput
from .extensions import db


@click.command("seed-demo")
@click.option("--ideas", "idea_count", default=40, show_default=True, help="How many ideas.")
@click.option("--votes", "vote_count", default=None, type=int, help="How many votes [6 per idea].")
@click.option("--members", "member_count", default=30, show_default=True, help="How many members.")
@click.option("--comments", "comment_count", default=None, type=int,
              help="How many comments [2 per idea].")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has accounts.")
@with_appcontext
def seed_demo_command(idea_count: int, vote_count: int | None, member_count: int, comment_count: int | None,
                      if_empty: bool) -> None:
    """Load demo accounts, ideas, votes and comments."""
    if if_empty and has_data():
        click.echo("Demo data already loaded; nothing to do.")
        return
    started = time.monotonic()
    with writing():
        counts = seed_demo(ideas=idea_count, votes=vote_count, members=member_count,
                           comments=comment_count)
        db.session.commit()
    summary = ", ".join(f"{value:,} {name}" for name, value in counts.items())
    click.echo(f"Loaded {summary} in {time.monotonic() - started:.1f} s.")
    click.echo(f"Sign in as member@example.com, staff@example.com or admin@example.com "
               f"with the password {DEMO_PASSWORD!r}.")


@click.command("create-admin")
@click.argument("email")
@with_appcontext
def create_admin_command(email: str) -> None:
    """Make EMAIL an admin, creating the account (asks for a password) if there is none."""
    with writing():
        member = accounts.find_member_by_email(email)
        if member is None:
            name = click.prompt("Name", default=email.split("@")[0])
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
            try:
                member = accounts.sign_up(name, email, password)
            except InvalidInput as error:
                raise click.ClickException(" ".join(error.fields.values()) or error.message) from None
            accounts.confirm_email(member)
        member.role = "admin"
        db.session.commit()
    click.echo(f"{member.email} is an admin.")


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option("--poll", default=2.0, show_default=True, help="Seconds to wait when idle.")
@with_appcontext
def worker_command(once: bool, poll: float) -> None:
    """Deliver the outbox: in-app notifications, emails with retries, daily digests.

    SIGTERM or SIGINT: the email in hand is finished, the rest given back, and the worker
    exits; a second signal stops it at once."""
    import signal
    import threading

    from flask import current_app

    from .delivery import drain, run_forever, send_due_digests

    stop = threading.Event()
    # What signal.signal gave back: a handler, SIG_DFL/SIG_IGN (ints) or None.
    previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}

    def request_stop(signum: int, frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name}: finishing the email in hand, then stopping.", err=True)
        stop.set()
        signal.signal(signum, previous[signum])

    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, request_stop)
    if once:
        delivered = drain(stop=stop)
        with writing():
            digests = send_due_digests()
        click.echo(f"Delivered {delivered} outbox rows and {digests} digests.")
        return
    # current_app is a proxy at run time; Flask's types call it the app itself.
    run_forever(current_app._get_current_object(), poll_seconds=poll, stop=stop)  # type: ignore[attr-defined]


@click.command("check")
@click.option("--repair", is_flag=True, help="Fix what the rows say how to fix, and say what.")
@with_appcontext
def check_command(repair: bool) -> None:
    """Verify stored counts, votes on merged ideas, merge ledgers and follow levels.

    Exits 1 while a problem remains, so a cron job or a deploy step can alert on it."""
    from .invariants import find_problems, repair as repair_problems

    if repair:
        with writing():
            for change in repair_problems():
                click.echo(f"Repaired: {change}")
            db.session.commit()
    problems = find_problems()
    db.session.rollback()
    for problem in problems:
        click.echo(str(problem))
    if not problems:
        click.echo("All invariants hold.")
        return
    repairable = 0 if repair else sum(problem.repairable for problem in problems)
    hint = f" ({repairable} repairable: run `flask --app ideas check --repair`)" if repairable else ""
    raise click.ClickException(f"{len(problems)} problem(s) found{hint}.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(check_command)


