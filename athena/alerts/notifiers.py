"""Notifiers: tell people about an alert by webhook (signed JSON) or e-mail (SMTP).

Each notifier's ``send`` raises on failure; :func:`attempt` calls one, catches every failure
and returns its :class:`Delivery`, so a broken channel never stops the others and never loses
the alert. Callers deliver outside any database transaction: Console
queues deliveries and a sender (:mod:`athena.alerts.delivery`) sends them. A delivery key
(``X-Athena-Delivery`` header, e-mail ``Message-ID``) lets a receiver drop a repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from athena.alerts.model import Alert
from athena.config import AlertSettings

__all__ = ["DELIVERY_HEADER", "SIGNATURE_HEADER", "Delivery", "Notifier", "SmtpNotifier", "WebhookNotifier", "attempt",
           "notifiers_from", "sign"]

SIGNATURE_HEADER = "X-Athena-Signature"
DELIVERY_HEADER = "X-Athena-Delivery"


class Notifier(Protocol):
    """A channel that tells someone about an alert."""

    @property
    def channel(self) -> str:
        """Return the channel's name as recorded on the timeline (``webhook``, ``smtp``)."""
        ...

    def send(self, alert: Alert, key: str = "") -> str:
        """Deliver ``alert`` (``key`` identifies the delivery to the receiver); return a receipt, raise on failure."""
        ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one notification attempt."""

    channel: str
    ok: bool
    detail: str


def sign(body: bytes, secret: str) -> str:
    """Return the signature header value of ``body``: ``sha256=`` and the hex HMAC-SHA256 with ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookNotifier:
    """POST the alert as JSON; with a secret, sign the exact body in ``X-Athena-Signature``.

    Parameters
    ----------
    url
        Where to POST.
    secret
        HMAC-SHA256 key; None sends unsigned.
    timeout_s
        Seconds to wait for the receiver.
    """

    channel = "webhook"

    def __init__(self, url: str, secret: str | None = None, timeout_s: float = 5.0) -> None:
        self.url, self._secret, self.timeout_s = url, secret, timeout_s

    def send(self, alert: Alert, key: str = "") -> str:
        """POST ``alert`` (``key`` in ``X-Athena-Delivery``); return the HTTP status, raise on any failure."""
        body = json.dumps({"type": "athena.alert", "alert": alert.as_json()}, sort_keys=True,
                          separators=(",", ":"), default=str).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "athena-alerts"}
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(body, self._secret)
        if key:
            headers[DELIVERY_HEADER] = key
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 - configured URL
            return f"HTTP {response.status}"

    def __repr__(self) -> str:
        return f"WebhookNotifier(signed={self._secret is not None})"


class SmtpNotifier:
    """Send the alert as a plain-text e-mail through an SMTP server.

    Parameters
    ----------
    host, port
        The SMTP server.
    sender, recipients
        ``From`` and ``To`` addresses.
    user, password
        Log in when a user is given.
    starttls
        Upgrade the connection with STARTTLS before logging in.
    timeout_s
        Seconds to wait for the server.
    """

    channel = "smtp"

    def __init__(self, host: str, port: int, sender: str, recipients: tuple[str, ...], *, user: str | None = None,
                 password: str | None = None, starttls: bool = False, timeout_s: float = 5.0) -> None:
        self.host, self.port, self.sender, self.recipients = host, port, sender, recipients
        self._user, self._password, self.starttls, self.timeout_s = user, password, starttls, timeout_s

    def message(self, alert: Alert, key: str = "") -> EmailMessage:
        """Return the e-mail sent for ``alert``; a delivery ``key`` becomes its ``Message-ID``."""
        msg = EmailMessage()
        if key:
            msg["Message-ID"] = f"<{key}@athena>"
        msg["Subject"] = f"[Athena {alert.severity.value.upper()}] #{alert.id} {alert.source}: {alert.message}"[:200]
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        lines = [f"{alert.severity.value.upper()} alert #{alert.id} from {alert.source}", "", alert.message, "",
                 f"raised at {alert.ts.isoformat()}", f"status {alert.status.value}"]
        lines += [f"{key}: {value}" for key, value in sorted(alert.details.items())]
        msg.set_content("\n".join(lines) + "\n")
        return msg

    def send(self, alert: Alert, key: str = "") -> str:
        """Send ``alert`` by e-mail (``key`` as its ``Message-ID``); return the recipients, raise on SMTP failure."""
        if not self.recipients:
            raise ValueError("no recipients configured (ATHENA_SMTP_TO)")
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            if self.starttls:
                smtp.starttls()
            if self._user:
                smtp.login(self._user, self._password or "")
            smtp.send_message(self.message(alert, key))
        return "sent to " + ", ".join(self.recipients)

    def __repr__(self) -> str:
        return f"SmtpNotifier({self.host}:{self.port}, to={list(self.recipients)!r})"


def notifiers_from(settings: AlertSettings) -> list[Notifier]:
    """Return the notifiers the settings configure (none when no channel is set)."""
    found: list[Notifier] = []
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        found.append(WebhookNotifier(settings.webhook_url, secret, settings.timeout_s))
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        found.append(SmtpNotifier(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_to,
                                  user=settings.smtp_user, password=password, starttls=settings.smtp_starttls,
                                  timeout_s=settings.timeout_s))
    return found


def attempt(notifier: Notifier, alert: Alert, key: str = "") -> Delivery:
    """Send ``alert`` through one notifier and return the outcome; never raise.

    Parameters
    ----------
    notifier
        The channel.
    alert
        What to send.
    key
        The delivery's key, passed on to the receiver (see :meth:`Notifier.send`).
    """
    try:
        return Delivery(notifier.channel, True, notifier.send(alert, key))
    except Exception as exc:  # noqa: BLE001 - any failure of a channel is recorded, never raised
        return Delivery(notifier.channel, False, f"{type(exc).__name__}: {exc}"[:500])
