"""A real SMTP server (aiosmtpd) inside the test process, collecting the messages it receives,
and variants that are slow or drip their answers, for the worker's fault drills."""
import asyncio
import email
import email.policy
import socket
import threading

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


class SlowSmtpServer(SmtpServer):
    """Takes `pause` seconds over each MAIL FROM, before any message is handed over; `in_mail`
    is set meanwhile, so a test can stop the sender with an email in hand and none half-accepted."""

    def __init__(self, pause=0.5):
        super().__init__()
        self.pause = pause
        self.in_mail = threading.Event()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        """aiosmtpd's hook: wait, then accept the sender."""
        self.in_mail.set()
        try:
            await asyncio.sleep(self.pause)
        finally:
            self.in_mail.clear()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"


class DrippingSmtpServer(SmtpServer):
    """Answers the first `drips` MAIL FROM commands one continuation line every `every` seconds
    for `for_seconds`: every read gets bytes in time, so no socket timeout ever fires."""

    def __init__(self, for_seconds=6.0, every=0.2, drips=1):
        super().__init__()
        self.for_seconds, self.every, self.drips = for_seconds, every, drips

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        """aiosmtpd's hook: drip "250-" lines, then accept the sender."""
        if self.drips > 0:
            self.drips -= 1
            loop = asyncio.get_running_loop()
            ends = loop.time() + self.for_seconds
            while loop.time() < ends:
                await server.push("250-still checking the sender")
                await asyncio.sleep(self.every)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"
