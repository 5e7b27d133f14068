"""`make bench`: how fast Ideas is at the size it must hold, on this machine.

    .venv/bin/python bench/run.py [--db sqlite|postgres] [--quick] [--runs N]
                                  [--ideas N --votes N --members N]

1. Creates a fresh database (an SQLite file in a temporary directory, or a PostgreSQL
   database that is dropped afterwards), applies the migrations and seeds it with
   `flask --app ideas seed-demo`; adds an idea with 10,000 followers and one with 50 comments.
2. Starts the app under gunicorn on 127.0.0.1 (2 workers, production settings, rate limits
   off) and waits for /readyz.
3. Signs in 64 members, warms up, and drives every scenario from a separate process
   (bench/load.py): throughput at 32 connections, latency at 2, each for a fixed time. The
   whole measured sequence (floor first, every scenario, floor last) runs `--runs` times
   (default 3), each run judged against its own floor; the report gives each figure's median
   with the lowest and highest run.
4. Changes the status of the 10,000-follower idea as staff, then runs
   `flask --app ideas worker --once` and times how long until every follower has the
   in-app notification.
5. Reads the gunicorn workers' peak memory, stops everything, and writes its section of
   BENCHMARKS.md (one per database; other sections are kept), after comparing its ratios
   with those of the section it replaces.

Only loopback traffic; every phase is bounded in time, so the run stops by itself.
"""
import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import report  # noqa: E402

FULL = dict(ideas=100_000, votes=1_000_000, members=50_000)
QUICK = dict(ideas=5_000, votes=50_000, members=2_000)
COMPANIES = dict(full=20_000, quick=1_000)  # issue 19: the inbox by priority for a segment
FOLLOWERS = 10_000
RUNS = 3  # issue 17: judged on the median of three runs
SIGNED_IN = 64
SEARCH_QUERY = "dark mode"
SIMILAR_TITLE = "dark mode please"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]+)"')


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The database

class Database:
    """A fresh database for one run; `drop()` removes it."""

    def __init__(self, kind, workdir):
        self.kind = kind
        if kind == "sqlite":
            self.path = Path(workdir) / "bench.sqlite"
            self.url = f"sqlite:///{self.path}"
        else:
            self.admin_url = os.environ.get("BENCH_POSTGRES_ADMIN_URL", POSTGRES_ADMIN_URL)
            self.name = f"ideas_bench_{os.getpid()}_{secrets.token_hex(3)}"
            parts = urllib.parse.urlsplit(self.admin_url)
            self.url = urllib.parse.urlunsplit(
                ("postgresql+psycopg", parts.netloc, f"/{self.name}", "", ""))
            self._admin(f'CREATE DATABASE "{self.name}"')

    def _admin(self, statement):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(statement)

    def drop(self):
        if self.kind == "postgres":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def engine(self):
        from sqlalchemy import create_engine

        return create_engine(self.url, pool_size=1, max_overflow=0)

    def version(self):
        if self.kind == "sqlite":
            return f"SQLite {sqlite3.sqlite_version}"
        from sqlalchemy import text

        engine = self.engine()
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar()
        engine.dispose()
        return f"PostgreSQL {version}"


def scalar(engine, sql, **params):
    from sqlalchemy import text

    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


# Commands and the server

def app_env(database, port=None):
    env = dict(os.environ)
    for name in ("MAIL_SERVER", "REDIS_URL", "SERVER_NAME", "PROXY_COUNT", "FLASK_DEBUG"):
        env.pop(name, None)
    env.update(
        IDEAS_ENV="production", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=database.url,
        ALLOW_SQLITE="1", RATELIMIT_ENABLED="0", WORKER_IN_PROCESS="0", WEB_CONCURRENCY="2",
        HOST="127.0.0.1", BASE_URL="http://127.0.0.1", PYTHONUNBUFFERED="1",
        # The status change's emails go out on the worker's first pass, as they did before emails
        # about one idea waited to be collapsed: the run measures sending, not the window.
        NOTIFY_COLLAPSE_SECONDS="0",
    )
    env.pop("THREADS", None)  # gunicorn.conf.py's default (4)
    if port is not None:
        env["PORT"] = str(port)
    return env


def run_command(args, env, log_path, timeout):
    """Run a command to completion; returns (seconds, stdout). Raises with its log on failure."""
    started = time.monotonic()
    with open(log_path, "ab") as log_file:
        result = subprocess.run(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log_file,
                                timeout=timeout)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        tail = Path(log_path).read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({result.returncode}):\n{tail}")
    return elapsed, result.stdout.decode()


class Server:
    """gunicorn 'wsgi:app' on 127.0.0.1 with the repository's gunicorn.conf.py."""

    def __init__(self, env, port, log_path):
        self.port = port
        self.log_file = open(log_path, "ab")
        # No control socket: its default path is shared by every gunicorn on the machine.
        self.process = subprocess.Popen([str(BIN / "gunicorn"), "--no-control-socket", "wsgi:app"],
                                        cwd=ROOT, env=env,
                                        stdout=self.log_file, stderr=self.log_file,
                                        start_new_session=True)

    def wait_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited while starting; see its log")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/readyz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
                connection.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not become ready in time")

    def workers(self):
        """The pids of the master's worker processes."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.process.pid:
                pids.append(int(entry))
        return sorted(pids)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


def memory_of(pid):
    """VmHWM and VmRSS of a process, in MiB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            figures[name] = int(value.split()[0]) / 1024
    return figures


def reset_peak_memory(pid):
    """Start VmHWM again from the current RSS (Linux: `echo 5 > /proc/PID/clear_refs`)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# A small HTTP client for signing in and the status change

class Browser:
    """One keep-alive connection with a cookie jar, as one member's browser."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method, path, form=None, headers=None):
        body = urllib.parse.urlencode(form) if form is not None else None
        all_headers = {"User-Agent": "ideas-bench/1", "Accept": "text/html"}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            all_headers["Cookie"] = self.cookie_header()
        all_headers.update(headers or {})
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=body, headers=all_headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # Idle past gunicorn's keep-alive: a GET may go again on a new connection.
                self.connection.close()
                if method != "GET" or attempt == 2:
                    raise
        elapsed = time.perf_counter() - started
        for value in response.headers.get_all("Set-Cookie") or ():
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                if morsel["expires"] and "1970" in morsel["expires"] or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, content.decode("utf-8", "replace"), elapsed

    def cookie_header(self):
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def csrf_token(self, path="/"):
        status, page, _ = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        match = CSRF_INPUT.search(page)
        if not match:
            raise RuntimeError(f"no CSRF token in {path}")
        return VALUE.search(match.group(0)).group(1)

    def sign_in(self, email, password):
        token = self.csrf_token("/auth/login")
        status, _, _ = self.request("POST", "/auth/login",
                                    form=dict(email=email, password=password, csrf_token=token))
        if status != 303:
            raise RuntimeError(f"signing in {email} answered {status}")
        return self.csrf_token("/")

    def close(self):
        self.connection.close()


def sign_in_all(port, emails, password, parallel=4):
    """Sign every member in (a few at a time: each sign-in costs one argon2id check)."""
    sessions, failures = {}, []
    queue = list(emails)
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not queue:
                    return
                email = queue.pop()
            browser = Browser(port)
            try:
                token = browser.sign_in(email, password)
                with lock:
                    sessions[email] = (browser.cookie_header(), token)
            except Exception as error:  # noqa: BLE001 - reported below
                failures.append(f"{email}: {error}")
            finally:
                browser.close()

    threads = [threading.Thread(target=work) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError("could not sign in: " + "; ".join(failures[:3]))
    return sessions


# The scenarios

def scenarios(prepared, sessions, members, staff_cookie):
    """(name, group, per-connection request lists) for every scenario, floor first."""
    def get(path, headers=None):
        return lambda member: [dict(method="GET", path=path,
                                    headers={"Cookie": sessions[member][0], **(headers or {})})]

    def staff_get(path):
        return lambda member: [dict(method="GET", path=path, headers={"Cookie": staff_cookie})]

    def anonymous_get(path):
        return lambda member: [dict(method="GET", path=path, headers={})]

    def vote(member):
        cookie, token = sessions[member]
        idea = prepared["vote_targets"][member]
        headers = {"Cookie": cookie, "X-CSRFToken": token, "HX-Request": "true",
                   "HX-Target": f"idea-{idea}-vote", "HX-Current-URL": "http://127.0.0.1/",
                   "Content-Type": "application/x-www-form-urlencoded"}
        body = urllib.parse.urlencode(dict(csrf_token=token, next="/"))
        return [dict(method="POST", path=f"/ideas/{idea}/{action}", headers=headers, body=body)
                for action in ("vote", "unvote")]

    htmx_similar = {"HX-Request": "true", "HX-Target": "similar-ideas"}
    listed = [("floor (/_floor)", "floor", get("/_floor"))]
    for sort in ("trending", "top", "new", "updated"):
        listed.append((f"board, {sort}, page 1", f"board-{sort}-1", get(f"/?sort={sort}")))
        listed.append((f"board, {sort}, page 50", f"board-{sort}-50",
                       get(f"/?sort={sort}&page=50")))
    listed += [
        ("idea page, 50 comments", "idea", get(f"/ideas/{prepared['discussed_idea']}")),
        ("roadmap", "roadmap", get("/roadmap")),
        ("accountability (signed out)", "accountability", anonymous_get("/accountability")),
        (f"search ({SEARCH_QUERY!r})", "search",
         get("/?" + urllib.parse.urlencode(dict(q=SEARCH_QUERY)))),
        (f"similar ideas ({SIMILAR_TITLE!r})", "similar",
         get("/ideas/similar?" + urllib.parse.urlencode(dict(title=SIMILAR_TITLE)), htmx_similar)),
        ("vote + withdraw (POST)", "vote", vote),
        ("inbox by priority, Enterprise segment (staff)", "inbox-priority",
         staff_get(f"/staff/?sort=priority&segment={prepared['segment']}")),
        *([("one board's page, of 20 boards", "board-of-20", get(f"/boards/{prepared['board']}"))]
          if prepared.get("board") else []),
        # The floor again: how much the machine drifted during the run (others share it).
        ("floor again, at the end", "floor-end", get("/_floor")),
    ]
    return listed


def build_plan(port, listed, members, connections, latency_connections, duration, latency_duration):
    """Every scenario twice: throughput at `connections`, latency at `latency_connections`."""
    phases = []
    for name, key, make in listed:
        # Throughput uses members 0…connections-1; latency the next ones, so the vote
        # scenario's members start each phase with no vote on their idea.
        for mode, count, seconds, offset in (("throughput", connections, duration, 0),
                                             ("latency", latency_connections, latency_duration,
                                              connections)):
            chosen = [members[(offset + i) % len(members)] for i in range(count)]
            phases.append(dict(name=f"{key}@{count}", scenario=name, key=key, mode=mode,
                               connections=count, duration=seconds,
                               requests=[make(member) for member in chosen], expect=[200]))
    return dict(host="127.0.0.1", port=port, phases=phases, pause=0.5)


def send(port: int, request: dict) -> int:
    """One request of a scenario on a connection of its own; returns the status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(request["method"], request["path"], body=request.get("body"),
                       headers={"User-Agent": "ideas-bench/1", **request["headers"]})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def check_scenarios(port, listed, members):
    """One request per scenario before measuring: a wrong status stops the run early."""
    first = members[-1]
    for name, _, make in listed:
        for request in make(first):
            status = send(port, request)
            if status != 200:
                raise RuntimeError(f"{name}: {request['method']} {request['path']} answered {status}")


def withdraw_votes(port: int, listed: list, members: list[str], count: int) -> None:
    """Before a repeat: the vote scenario's members take back any vote the last run left standing.

    A phase ends wherever its window closes, so a member may still back its idea; withdrawing
    makes every run start as the first did (a second vote would only cost a no-op insert)."""
    make = next(make for _, key, make in listed if key == "vote")
    for member in members[:count]:
        unvote = next(request for request in make(member) if request["path"].endswith("/unvote"))
        status = send(port, unvote)
        if status != 200:
            raise RuntimeError(f"withdrawing {member}'s vote answered {status}")


def warm_up(port, listed, members, seconds):
    """A short burst per scenario so caches, pools and the OS are warm before measuring."""
    plan = dict(host="127.0.0.1", port=port, pause=0, phases=[
        dict(name=f"warm-up {key}", connections=4, duration=seconds,
             requests=[make(members[-1 - i]) for i in range(4)], expect=[200])
        for _, key, make in listed if key not in ("vote", "floor-end")])
    return plan


def run_load(plan, workdir, label):
    plan_path = Path(workdir) / f"plan-{label}.json"
    results_path = Path(workdir) / f"results-{label}.json"
    plan_path.write_text(json.dumps(plan))
    total = sum(phase["duration"] for phase in plan["phases"]) + 120 + 2 * len(plan["phases"])
    subprocess.run([sys.executable, str(Path(__file__).resolve().parent / "load.py"),
                    str(plan_path), str(results_path)], check=True, timeout=total)
    return json.loads(results_path.read_text())


# The status change on the crowded idea

def run_worker_once(env, workdir, label):
    """`flask --app ideas worker --once` in a subprocess; returns (process, started)."""
    log_file = open(Path(workdir) / f"worker-{label}.log", "ab")
    started = time.perf_counter()
    process = subprocess.Popen([str(BIN / "flask"), "--app", "ideas", "worker", "--once"],
                               cwd=ROOT, env=env, stdout=log_file, stderr=log_file)
    log_file.close()
    return process, started


def wait_with_rusage(process, timeout):
    """Wait for the process and return (exit code, seconds waited, peak RSS in MiB)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage.ru_maxrss / 1024
        time.sleep(0.02)
    process.kill()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return None, usage.ru_maxrss / 1024


def status_change(staff, env, database, prepared, workdir, timeout=600):
    """Time the request that moves the crowded idea to Planned, then its delivery.

    `staff` is a Browser signed in as staff."""
    engine = database.engine()
    idea = prepared["crowded_idea"]
    token = staff.csrf_token(f"/ideas/{idea}")

    # The worker's fixed cost: start-up and an empty outbox.
    process, started = run_worker_once(env, workdir, "empty")
    code, _ = wait_with_rusage(process, timeout)
    empty_seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError("flask worker --once failed on an empty outbox; see worker-empty.log")

    staff.connection.close()  # idle past gunicorn's keep-alive: time the POST on a fresh one
    status, _, request_seconds = staff.request(
        "POST", f"/ideas/{idea}/status",
        form=dict(status="planned", note="We start on this next month.", csrf_token=token))
    staff.close()
    if status != 303:
        raise RuntimeError(f"the status change answered {status}")
    event = scalar(engine, "SELECT max(id) FROM events WHERE idea_id = :idea AND kind = 'status_changed'",
                   idea=idea)
    queued = scalar(engine, "SELECT count(*) FROM outbox WHERE event_id = :event", event=event)

    process, started = run_worker_once(env, workdir, "status")
    all_in = None
    polls = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivered = scalar(engine, "SELECT count(*) FROM notifications WHERE event_id = :event",
                           event=event)
        polls += 1
        if delivered >= queued:
            all_in = time.perf_counter() - started
            break
        if process.poll() is not None:
            break
        time.sleep(0.02)
    code, worker_rss = wait_with_rusage(process, max(1, deadline - time.monotonic()))
    worker_seconds = time.perf_counter() - started
    delivered = scalar(engine, "SELECT count(*) FROM notifications WHERE event_id = :event",
                       event=event)
    emails = dict(list(_rows(engine, "SELECT email_state, count(*) FROM outbox "
                                     "WHERE event_id = :event GROUP BY email_state", event=event)))
    engine.dispose()
    return dict(request_s=request_seconds, queued=queued, delivered=delivered,
                inboxes_s=all_in, worker_s=worker_seconds, worker_exit=code,
                worker_empty_s=empty_seconds, worker_peak_mib=worker_rss, emails=emails,
                followers=prepared["followers"])


def _rows(engine, sql, **params):
    from sqlalchemy import text

    with engine.connect() as connection:
        return connection.execute(text(sql), params).all()


def vote_counts_match(database, idea_ids):
    """After voting: each idea's stored count equals its vote rows."""
    engine = database.engine()
    mismatched = []
    for idea in sorted(set(idea_ids)):
        stored = scalar(engine, "SELECT vote_count FROM ideas WHERE id = :idea", idea=idea)
        rows = scalar(engine, "SELECT count(*) FROM votes WHERE idea_id = :idea", idea=idea)
        if stored != rows:
            mismatched.append((idea, stored, rows))
    engine.dispose()
    return mismatched


# The machine

def machine():
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
                 platform.processor() or "?")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               text=True, capture_output=True).stdout.strip()
        commit += " (with uncommitted changes)" if dirty else ""
    except OSError:
        commit = "?"
    return dict(cpus=len(os.sched_getaffinity(0)), cpu_model=model, memory=memory,
                load=os.getloadavg(), python=platform.python_version(),
                kernel=platform.release(), commit=commit)


# The run

def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def measure(port: int, listed: list, members: list[str], args: argparse.Namespace,
            workdir: str) -> tuple[list[dict], list[list[dict]]]:
    """The whole measured sequence `args.runs` times; returns (phases, each run's results)."""
    plan = build_plan(port, listed, members, args.connections, args.latency_connections,
                      args.duration, args.latency_duration)
    seconds = sum(p["duration"] + plan["pause"] for p in plan["phases"])
    runs = []
    for number in range(1, args.runs + 1):
        if number > 1:
            withdraw_votes(port, listed, members, args.connections + args.latency_connections)
        log(f"run {number} of {args.runs}: measuring {len(plan['phases'])} phases (~{seconds:.0f} s)…")
        runs.append(run_load(plan, workdir, f"measure-{number}"))
    return plan["phases"], runs


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true",
                        help="small data set (5,000 ideas, 50,000 votes, 2,000 members), 5 s phases")
    parser.add_argument("--ideas", type=int)
    parser.add_argument("--votes", type=int)
    parser.add_argument("--members", type=int)
    parser.add_argument("--followers", type=int, default=FOLLOWERS)
    parser.add_argument("--duration", type=float, help="seconds per throughput phase [10; quick 5]")
    parser.add_argument("--latency-duration", type=float, help="seconds per latency phase [10; quick 5]")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--latency-connections", type=int, default=2)
    parser.add_argument("--runs", type=positive, default=RUNS,
                        help=f"repeats of the whole measured sequence, each against its own floor [{RUNS}]")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, database)")
    args = parser.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    for name in sizes:
        if getattr(args, name) is not None:
            sizes[name] = getattr(args, name)
    args.sizes = sizes
    args.duration = args.duration or (5.0 if args.quick else 10.0)
    args.latency_duration = args.latency_duration or (5.0 if args.quick else 10.0)
    args.full_size = sizes == FULL
    return args


def main(argv=None):
    args = parse_args(argv)
    run_started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="ideas-bench-")
    log(f"working in {workdir} ({args.db}, {args.sizes['ideas']:,} ideas, "
        f"{args.sizes['votes']:,} votes, {args.sizes['members']:,} members)")
    info = dict(machine=machine(), db=args.db, sizes=args.sizes, followers=args.followers,
                date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                connections=args.connections, latency_connections=args.latency_connections,
                runs=args.runs,
                duration=args.duration, latency_duration=args.latency_duration,
                full_size=args.full_size, timings={})
    database = server = None
    try:
        database = Database(args.db, workdir)
        info["db_version"] = database.version()
        env = app_env(database)
        setup_log = Path(workdir) / "setup.log"

        seconds, _ = run_command([str(BIN / "flask"), "--app", "ideas", "db", "upgrade"], env,
                                 setup_log, timeout=300)
        info["timings"]["migrations_s"] = seconds
        log(f"migrations applied in {seconds:.1f} s; seeding…")
        seconds, output = run_command(
            [str(BIN / "flask"), "--app", "ideas", "seed-demo", "--ideas", str(args.sizes["ideas"]),
             "--votes", str(args.sizes["votes"]), "--members", str(args.sizes["members"])],
            env, setup_log, timeout=1200)
        info["timings"]["seed_s"] = seconds
        info["seed_output"] = output.strip().splitlines()[0] if output.strip() else ""
        log(f"seeded in {seconds:.1f} s: {info['seed_output']}")
        seconds, output = run_command(
            [sys.executable, str(Path(__file__).resolve().parent / "prepare.py"),
             "--followers", str(args.followers), "--signed-in", str(SIGNED_IN),
             "--companies", str(COMPANIES["quick" if args.quick else "full"])],
            env, setup_log, timeout=600)
        prepared = json.loads(output)
        info["timings"]["prepare_s"] = seconds
        info["prepared"] = {k: v for k, v in prepared.items() if k not in ("members", "vote_targets")}
        if args.db == "postgres":
            # What autovacuum would do soon after a bulk load: statistics and visibility map.
            started = time.monotonic()
            engine = database.engine()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                from sqlalchemy import text

                connection.execute(text("VACUUM ANALYZE"))
            engine.dispose()
            info["timings"]["vacuum_analyze_s"] = time.monotonic() - started
        log(f"prepared in {seconds:.1f} s: idea #{prepared['crowded_idea']} has "
            f"{prepared['followers']:,} followers, #{prepared['discussed_idea']} has "
            f"{prepared['comments']} comments")

        port = free_port()
        server_env = app_env(database, port)
        server = Server(server_env, port, Path(workdir) / "gunicorn.log")
        server.wait_ready()
        workers = server.workers()
        log(f"gunicorn ready on 127.0.0.1:{port}, workers {workers}")

        started = time.monotonic()
        members = prepared["members"]
        # On SQLite a sign-in is a POST, which holds the write lock from its first query (argon2
        # check included): parallel sign-ins only queue, and on a busy machine the queue outlasts
        # the 5 s busy timeout (503). One at a time takes as long and never waits on the lock.
        sessions = sign_in_all(port, members, "demo-password", parallel=1 if args.db == "sqlite" else 4)
        staff = Browser(port)
        staff.sign_in("staff@example.com", "demo-password")
        info["timings"]["sign_in_s"] = time.monotonic() - started
        log(f"signed in {len(sessions)} members in {info['timings']['sign_in_s']:.1f} s")

        listed = scenarios(prepared, sessions, members, staff.cookie_header())
        check_scenarios(port, listed, members)
        run_load(warm_up(port, listed, members, 1.0), workdir, "warmup")

        memory = {pid: memory_of(pid) for pid in server.workers()}
        info["memory_after_sign_in"] = memory
        info["peak_reset"] = all(reset_peak_memory(pid) for pid in memory)

        phases, runs = measure(port, listed, members, args, workdir)
        info["memory_after_load"] = {pid: memory_of(pid) for pid in server.workers()}
        info["workers_replaced"] = sorted(set(memory) ^ set(info["memory_after_load"]))
        info["vote_mismatches"] = vote_counts_match(database, prepared["vote_targets"].values())

        log("status change on the crowded idea…")
        info["status_change"] = status_change(staff, app_env(database), database, prepared, workdir)
        sc = info["status_change"]
        inboxes = "never" if sc["inboxes_s"] is None else f"{sc['inboxes_s']:.2f} s"
        log(f"status change: request {sc['request_s'] * 1000:.0f} ms; {sc['delivered']:,} of "
            f"{sc['queued']:,} inboxes after {inboxes}; worker done in {sc['worker_s']:.2f} s")
        info["memory_final"] = {pid: memory_of(pid) for pid in server.workers()}
    finally:
        if server is not None:
            server.stop()
        if database is not None:
            try:
                database.drop()
            except Exception as error:  # noqa: BLE001
                log(f"could not drop the database: {error}")
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    info["timings"]["total_s"] = time.monotonic() - run_started
    info["machine"]["load_end"] = os.getloadavg()
    lost = report.write(args.output, info, phases, runs)
    log(f"wrote {args.output} in {info['timings']['total_s']:.0f} s")
    for line in report.summary_lines(info, phases, runs) + lost:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
