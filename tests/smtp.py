"""A real SMTP server (aiosmtpd) inside the test process, collecting the messages it receives."""
import email
import email.policy
import socket

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port():
    """A TCP port nobody listens on right now (Controller refuses port=0 itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class SmtpServer:
    """Accepts every message; `messages` holds them parsed, oldest first."""

    host = HOST

    def __init__(self):
        self.messages = []
        self.port = None
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        """aiosmtpd's hook: keep the message, then accept it."""
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self, attempts=3):
        """Listen on a free port; another process may take the port first, so try again."""
        for attempt in range(attempts):
            port = free_port()
            controller = Controller(self, hostname=self.host, port=port)
            try:
                controller.start()
            except OSError:
                if attempt == attempts - 1:
                    raise
                continue
            self.port, self._controller = port, controller
            return self

    def stop(self):
        """Stop listening."""
        self._controller.stop()
