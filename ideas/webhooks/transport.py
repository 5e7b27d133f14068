"""The webhook transport: which addresses may be called, and one signed POST to a checked address.

Each attempt resolves the host again, refuses private and loopback addresses unless an admin
allows them (ideas/addresses.py decides what is public), and connects to exactly the address it
checked, so a DNS answer that changes between check and connection cannot slip through.
Redirects are never followed: the caller reads a 3xx as a failed attempt.
"""
import hashlib
import hmac
import http.client
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

from ..addresses import is_public_address
from ..deadlines import shut_after

TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    """An attempt that got no answer we accept (refused address, network error)."""


def resolve(host: str, port: int, allow_private: bool) -> tuple[socket.AddressFamily, tuple[Any, ...]]:
    """The (family, socket address) to connect to for `host`; raises DeliveryError when refused.

    Every address the name resolves to must pass, so a name that mixes public and private
    answers cannot be used to reach the private one.
    """
    try:
        # Typed for every family; asked for TCP, the addresses are IPv4's (host, port) or IPv6's.
        answers: list[tuple[Any, ...]] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                            proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise DeliveryError(f"Could not resolve {host}: {error}") from error
    if not allow_private:
        for *_, sockaddr in answers:
            if not is_public_address(sockaddr[0]):
                raise DeliveryError(f"Refused: {host} resolves to {sockaddr[0]}, a private or loopback "
                                    "address (an admin setting allows such addresses).")
    family, _, _, _, sockaddr = answers[0]
    return family, sockaddr


def _connect(family: socket.AddressFamily, sockaddr: tuple[Any, ...], timeout: float | None) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(sockaddr)
    except OSError:
        sock.close()
        raise
    return sock


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the checked address, whatever the name resolves to by now; Host stays the name."""

    def __init__(self, host: str, port: int, address: tuple[socket.AddressFamily, tuple[Any, ...]],
                 timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = _connect(*self.address, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is checked against the host name (SNI)."""

    def __init__(self, host: str, port: int, address: tuple[socket.AddressFamily, tuple[Any, ...]],
                 timeout: float, context: ssl.SSLContext | None = None) -> None:
        super().__init__(host, port, timeout=timeout, context=context or ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = _connect(*self.address, self.timeout)
        # `_context` is HTTPSConnection's own, set in its __init__; typeshed leaves it out.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post_json(url: str, body: str, headers: dict[str, str], allow_private: bool,
              timeout: float | None = None) -> tuple[int, str]:
    """POST `body` to `url` at one checked address; returns (status, reason) or raises DeliveryError."""
    timeout = timeout or TIMEOUT_SECONDS
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    assert parts.hostname is not None  # stored URLs passed url_problem, which requires a host
    address = resolve(parts.hostname, port, allow_private)
    connection = (PinnedHTTPSConnection if https else PinnedHTTPConnection)(
        parts.hostname, port, address, timeout)
    # The socket timeout bounds each wait; this bounds the whole exchange, so a server that
    # trickles its answer a byte at a time cannot hold the worker.
    with shut_after(timeout, connection) as cut:
        try:
            connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                               body=body.encode(), headers=headers)
            response = connection.getresponse()
            if cut.is_set():  # what was read before the cut is not a whole answer
                raise DeliveryError(f"No complete answer within {timeout} seconds.")
            return response.status, response.reason
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
        finally:
            connection.close()


def sign(secret: str, timestamp: int, body: str) -> str:
    """The `Ideas-Signature` value: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
