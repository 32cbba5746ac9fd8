"""Local receivers for the notifier tests: an HTTP server and an SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Hook:
    """What the local webhook receiver got."""

    url: str
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 204

    def json(self, n: int = 0) -> Any:
        """Return the body of request ``n`` as JSON."""
        return json.loads(self.requests[n][1])


@contextmanager
def serve_hook(port: int = 0) -> Iterator[Hook]:
    """Serve a webhook receiver on ``port`` (0: any free one) that records every POST."""
    box = Hook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            box.requests.append(({k: v for k, v in self.headers.items()}, body))
            self.send_response(box.status)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def hook() -> Iterator[Hook]:
    """Serve a webhook receiver that records every POST and answers with ``hook.status`` (204)."""
    with serve_hook() as box:
        yield box


def free_port() -> int:
    """Return a port on 127.0.0.1 where nothing listens (a dead receiver)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def hung_url() -> Iterator[str]:
    """Yield the URL of a receiver that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/alerts"


@dataclass
class Mailbox:
    """What the local SMTP server received."""

    host: str
    port: int
    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)


@contextmanager
def _smtp(**options: Any) -> Iterator[Mailbox]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        box = Mailbox("127.0.0.1", int(sock.getsockname()[1]))

    class Handler:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            content = envelope.original_content or b""
            box.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos), message_from_bytes(content)))
            return "250 OK"

    controller = Controller(Handler(), hostname=box.host, port=box.port, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """Run a real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message."""
    with _smtp() as box:
        yield box


def _check_login(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"athena", b"mail-secret")
    return AuthResult(success=ok)


@pytest.fixture
def locked_mailbox() -> Iterator[Mailbox]:
    """Run an SMTP server that accepts only the login ``athena`` / ``mail-secret``."""
    with _smtp(authenticator=_check_login, auth_require_tls=False) as box:
        yield box
