"""The load generator: a separate process that drives one server over loopback.

    python bench/load.py PLAN.json RESULTS.json

PLAN.json names the server (host, port) and a list of phases; each phase has a name, a
number of connections, a duration in seconds and, per connection, the requests it repeats
in turn (method, path, headers, body). Every connection is one keep-alive HTTP/1.1 socket in
its own thread, sending its next request as soon as the last answer is read (a closed loop).

RESULTS.json gets, per phase: the requests sent inside the measured window and their
latencies, requests per second (those requests over the time until the last of them was
answered, so a page slower than the window still gets a rate), statuses seen, errors
(transport failures and unexpected statuses) and the CPU seconds this process used, so a
reader can see what the load generator itself cost on a shared machine.

The client is a few lines over a raw socket rather than http.client: on a 2-core machine it
shares the CPU with the server, and parsing headers with the email package costs more than
the floor endpoint does.
"""
import json
import os
import socket
import sys
import threading
import time

USER_AGENT = "ideas-bench/1"


class ConnectionLost(Exception):
    """The server closed the socket before answering (a keep-alive race): reconnect, retry."""


class Connection:
    """One keep-alive HTTP/1.1 connection with just enough parsing for our server."""

    def __init__(self, host, port, timeout=30.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = None
        self.reader = None

    def _open(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb", buffering=65536)

    def close(self):
        if self.sock is not None:
            try:
                self.reader.close()
                self.sock.close()
            except OSError:
                pass
        self.sock = self.reader = None

    def request(self, raw):
        """Send the pre-built request bytes; returns (status, body length, headers dict)."""
        for attempt in (1, 2):
            fresh = self.sock is None
            if fresh:
                self._open()
            try:
                self.sock.sendall(raw)
                return self._read_response()
            except (ConnectionLost, BrokenPipeError, ConnectionResetError):
                self.close()
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _read_response(self):
        reader = self.reader
        status_line = reader.readline(65537)
        if not status_line:
            raise ConnectionLost()
        parts = status_line.split(None, 2)
        status = int(parts[1])
        headers = {}
        while True:
            line = reader.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower().decode("latin-1")
            value = value.strip().decode("latin-1")
            if name == "set-cookie" and name in headers:
                headers[name] += "\n" + value
            else:
                headers[name] = value
        length = 0
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(reader.readline().split(b";")[0], 16)
                if size == 0:
                    while reader.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                length += len(reader.read(size))
                reader.readline()
        elif "content-length" in headers:
            wanted = int(headers["content-length"])
            length = len(reader.read(wanted)) if wanted else 0
            if length != wanted:
                raise ConnectionLost()
        else:  # no length: the body runs to the end of the connection
            length = len(reader.read())
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, length, headers


def build_request(host, port, method, path, headers=None, body=""):
    """The bytes of one request, built once and sent many times."""
    body_bytes = body.encode() if isinstance(body, str) else (body or b"")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"User-Agent: {USER_AGENT}",
             "Accept: text/html", "Connection: keep-alive"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if method != "GET" or body_bytes:
        lines.append(f"Content-Length: {len(body_bytes)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body_bytes


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), int(round(fraction * len(sorted_values) + 0.5))))
    return sorted_values[rank - 1]


def run_phase(host, port, phase):
    """Run one phase; returns its figures."""
    connections = phase["connections"]
    duration = float(phase["duration"])
    expected = set(phase.get("expect", [200]))
    plans = [
        [build_request(host, port, r["method"], r["path"], r.get("headers"), r.get("body", ""))
         for r in phase["requests"][i % len(phase["requests"])]]
        for i in range(connections)
    ]
    ready = threading.Barrier(connections + 1)
    window = {}
    results = [None] * connections
    last = [0.0] * connections

    def worker(index):
        conn = Connection(host, port)
        latencies, statuses, errors, samples = [], {}, [], {}
        requests = plans[index]
        step = 0
        try:
            conn._open()
        except OSError as error:
            errors.append(f"connect: {error}")
        ready.wait()
        start, end = window["start"], window["end"]
        time.sleep(max(0.0, start - time.perf_counter()))  # every connection starts together
        while True:
            sent = time.perf_counter()
            if sent >= end:
                break
            raw = requests[step % len(requests)]
            step += 1
            try:
                status, _, _ = conn.request(raw)
            except (OSError, ValueError, IndexError, ConnectionLost) as error:
                done = time.perf_counter()
                if sent >= start:
                    errors.append(f"{type(error).__name__}: {error}")
                conn.close()
                time.sleep(0.01)
                continue
            done = time.perf_counter()
            if sent < start:
                continue
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(done - sent)
            last[index] = done
            if status not in expected and len(samples) < 5:
                samples.setdefault(status, raw.split(b"\r\n", 1)[0].decode())
        conn.close()
        results[index] = (latencies, statuses, errors, samples)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for thread in threads:
        thread.start()
    cpu_before = os.times()
    window["start"] = time.perf_counter() + 0.05
    window["end"] = window["start"] + duration
    ready.wait()
    for thread in threads:
        thread.join(duration + 60)
    cpu_after = os.times()

    latencies, statuses, errors, samples = [], {}, [], {}
    for result in results:
        if result is None:
            errors.append("a connection thread did not finish")
            continue
        latencies.extend(result[0])
        for status, count in result[1].items():
            statuses[status] = statuses.get(status, 0) + count
        errors.extend(result[2])
        for status, line in result[3].items():
            samples.setdefault(status, line)
    latencies.sort()
    unexpected = sum(count for status, count in statuses.items() if status not in expected)
    completed = len(latencies)
    # Every request sent inside the window counts, over the time until the last of them was
    # answered: a page slower than the window still gets a rate (and its latency) instead of 0.
    elapsed = max(window["end"], max(last)) - window["start"]
    return {
        "name": phase["name"],
        "connections": connections,
        "duration": duration,
        "elapsed": elapsed,
        "requests": completed,
        "rps": completed / elapsed,
        "p50_ms": None if not latencies else percentile(latencies, 0.50) * 1000,
        "p90_ms": None if not latencies else percentile(latencies, 0.90) * 1000,
        "p99_ms": None if not latencies else percentile(latencies, 0.99) * 1000,
        "max_ms": None if not latencies else latencies[-1] * 1000,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": len(errors) + unexpected,
        "transport_errors": len(errors),
        "error_samples": errors[:5] + [f"HTTP {k}: {v}" for k, v in samples.items()],
        "rate_limited": statuses.get(429, 0),
        "client_cpu_s": round((cpu_after.user - cpu_before.user)
                              + (cpu_after.system - cpu_before.system), 2),
    }


def main(plan_path, results_path):
    with open(plan_path) as file:
        plan = json.load(file)
    host, port = plan["host"], plan["port"]
    results = []
    for phase in plan["phases"]:
        result = run_phase(host, port, phase)
        results.append(result)
        p50 = "-" if result["p50_ms"] is None else f"{result['p50_ms']:.1f}"
        p99 = "-" if result["p99_ms"] is None else f"{result['p99_ms']:.1f}"
        print(f"  {result['name']:<32} c={result['connections']:<3} {result['rps']:8.1f} req/s  "
              f"p50 {p50:>7} ms  p99 {p99:>7} ms  errors {result['errors']}  "
              f"statuses {result['statuses']}", file=sys.stderr, flush=True)
        with open(results_path, "w") as file:
            json.dump(results, file, indent=1)
        time.sleep(float(plan.get("pause", 0.5)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
