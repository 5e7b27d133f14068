"""An overall deadline for a conversation with another server (SMTP, webhooks).

A socket timeout bounds each wait, not the whole exchange: a server that drips a byte at a time
keeps a conversation alive for ever. A timer thread shuts the socket down when the deadline
passes, and the read the caller is blocked in ends at once.
"""
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def shut_after(seconds: float, connection: Any) -> Iterator[threading.Event]:
    """Shut `connection.sock` down if the block is still running after `seconds`; yields an event
    that is set when that happened (the caller decides what a cut-off means)."""
    passed = threading.Event()

    def cut() -> None:
        passed.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    try:
        yield passed
    finally:
        timer.cancel()
