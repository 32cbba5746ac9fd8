"""Frozen, typed settings. Secrets never show in ``repr``.

Everything comes from arguments first, then the environment:

``ATHENA_HOME``          workspace directory (default ``./.athena``)
``ATHENA_DB_URL``        database URL (default SQLite ``athena.db`` in the workspace)
``ATHENA_SESSION_TTL``   session lifetime in seconds (default 43200, 12 h)

How the paper venue fills, and when a price is too old to trade on (see :class:`TradingSettings`):

``ATHENA_PAPER_FEE_RATE``       taker fee as a fraction of notional (default 0.001)
``ATHENA_PAPER_SLIPPAGE_BPS``   market and stop orders fill this much worse than the mark (default 1)
``ATHENA_PAPER_LATENCY_MS``     an order reaches the book only this long after it was accepted (default 0)
``ATHENA_PAPER_PARTICIPATION``  share of each tick's traded volume an order may take (default: unlimited)
``ATHENA_STALE_AFTER_S``        a symbol whose last price is older than this takes no new orders (default 15)

Alert notifications (see :class:`AlertSettings`; nothing is sent unless a channel is configured):

``ATHENA_ALERT_WEBHOOK_URL``     POST every alert as JSON here
``ATHENA_ALERT_WEBHOOK_SECRET``  sign the body with HMAC-SHA256 (``X-Athena-Signature`` header)
``ATHENA_SMTP_HOST`` / ``ATHENA_SMTP_PORT`` / ``ATHENA_SMTP_USER`` / ``ATHENA_SMTP_PASSWORD``
``ATHENA_SMTP_FROM`` / ``ATHENA_SMTP_TO`` (comma-separated) / ``ATHENA_SMTP_STARTTLS`` (1/0)
``ATHENA_ALERT_MIN_SEVERITY``    info, warning (default) or critical
``ATHENA_ALERT_TIMEOUT``         seconds per delivery attempt (default 5)
``ATHENA_ALERT_MAX_ATTEMPTS``    attempts per channel before giving up (default 5)
``ATHENA_ALERT_RETRY_S``         seconds before the first retry, doubled after each failure (default 2)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from athena.errors import InvalidConfig

__all__ = ["AlertSettings", "KdfSettings", "SecuritySettings", "Settings", "TradingSettings", "dask_address",
           "dask_client", "redact_url"]

_URL_PASSWORD = re.compile(r"(?P<head>[a-z0-9+]+://[^:/@]+:)(?P<secret>[^@]+)(?P<tail>@)", re.I)


def dask_address() -> str | None:
    """Return the Dask scheduler that sweeps, walk-forward windows and jobs go to, or None to run locally.

    Set by ``ATHENA_DASK_ADDRESS`` (``tcp://host:8786``).
    """
    return os.environ.get("ATHENA_DASK_ADDRESS") or None


def dask_client(address: str, timeout_s: float = 10.0) -> Any:
    """Return a ``distributed.Client`` connected to ``address`` (close it when done).

    Raises
    ------
    InvalidConfig
        ``address`` is not a Dask address (``tcp://host:port``).
    Unavailable
        The scheduler does not answer within ``timeout_s``.
    """
    from distributed import Client

    from athena.errors import Unavailable

    problem = _dask_address_problem(address)
    if problem:
        raise InvalidConfig(f"ATHENA_DASK_ADDRESS must be a Dask address like tcp://host:8786, was {address!r}: "
                            f"{problem}")
    try:
        return Client(address, timeout=f"{timeout_s}s", set_as_default=False)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        raise InvalidConfig(f"ATHENA_DASK_ADDRESS must be a Dask address like tcp://host:8786, was {address!r}: "
                            f"{exc}") from exc
    except (OSError, TimeoutError) as exc:
        raise Unavailable(f"Dask scheduler at ATHENA_DASK_ADDRESS={address!r} is unreachable: {exc}") from exc


def _dask_address_problem(address: object) -> str | None:
    if not isinstance(address, str):
        return "not a string"
    scheme, sep, rest = address.partition("://")
    if not sep or scheme not in ("tcp", "tls", "ucx", "inproc"):
        return "the scheme must be tcp://, tls://, ucx:// or inproc://"
    parts = urlsplit(address)
    if not parts.hostname:
        return "no host"
    if scheme == "inproc":
        return None if parts.path.strip("/") else "no process path after the host"
    try:
        port = parts.port
    except ValueError:
        return "the port must be a number within 0-65535"
    if port is None:
        return "no port"
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username is not None:
        return "nothing may follow host:port"
    return None


def redact_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\g<head>***\g<tail>", url)


class KdfSettings(BaseModel):
    """Argon2id cost parameters for password hashing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_cost: Annotated[int, Field(ge=1)] = 3
    memory_cost_kib: Annotated[int, Field(ge=1024)] = 65536
    parallelism: Annotated[int, Field(ge=1)] = 2


class SecuritySettings(BaseModel):
    """Session, lockout and approval policy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    session_ttl_s: Annotated[int, Field(gt=0)] = 12 * 3600
    lockout_threshold: Annotated[int, Field(ge=1)] = 5
    lockout_s: Annotated[int, Field(gt=0)] = 15 * 60
    approval_ttl_s: Annotated[int, Field(gt=0)] = 24 * 3600
    min_password_length: Annotated[int, Field(ge=8)] = 12
    kdf: KdfSettings = KdfSettings()


class TradingSettings(BaseModel):
    """Paper venue realism and the stale-price guard, the same for every process of a workspace.

    The defaults fill paper orders at once and in full; set ``latency_ms`` and ``participation``
    for orders that reach the book a little later and fill over several ticks, as real ones do.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    fee_rate: Annotated[Decimal, Field(ge=0, lt=1)] = Decimal("0.001")
    slippage_bps: Annotated[Decimal, Field(ge=0, lt=10_000)] = Decimal("1")
    latency_ms: Annotated[int, Field(ge=0, le=60_000)] = 0
    participation: Annotated[Decimal, Field(gt=0, le=1)] | None = None
    stale_after_s: Annotated[float, Field(gt=0)] = 15.0


_TRADING_ENV = {
    "fee_rate": "ATHENA_PAPER_FEE_RATE",
    "slippage_bps": "ATHENA_PAPER_SLIPPAGE_BPS",
    "latency_ms": "ATHENA_PAPER_LATENCY_MS",
    "participation": "ATHENA_PAPER_PARTICIPATION",
    "stale_after_s": "ATHENA_STALE_AFTER_S",
}


def _trading_from_env() -> TradingSettings:
    values = {field: os.environ[name] for field, name in _TRADING_ENV.items() if os.environ.get(name)}
    try:
        return TradingSettings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{_TRADING_ENV[str(e['loc'][0])]}={values[str(e['loc'][0])]!r}: {e['msg']}"
                             for e in exc.errors())
        raise InvalidConfig(problems) from None
class AlertSettings(BaseModel):
    """Where alert notifications go; secrets are ``SecretStr`` and never printed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: Annotated[int, Field(gt=0, lt=65536)] = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "athena@localhost"
    smtp_to: tuple[str, ...] = ()
    smtp_starttls: bool = False
    min_severity: Literal["info", "warning", "critical"] = "warning"
    timeout_s: Annotated[float, Field(gt=0, le=3600, allow_inf_nan=False)] = 5.0
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 5
    retry_s: Annotated[float, Field(gt=0, le=86_400, allow_inf_nan=False)] = 2.0

    @field_validator("webhook_url")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError(f"webhook_url must be an http:// or https:// URL, was {redact_url(value)!r}")
        return value

    @classmethod
    def from_env(cls) -> AlertSettings:
        """Build alert settings from the ``ATHENA_ALERT_*`` and ``ATHENA_SMTP_*`` variables."""
        env = os.environ
        values: dict[str, object] = {
            "webhook_url": env.get("ATHENA_ALERT_WEBHOOK_URL") or None,
            "webhook_secret": env.get("ATHENA_ALERT_WEBHOOK_SECRET") or None,
            "smtp_host": env.get("ATHENA_SMTP_HOST") or None,
            "smtp_user": env.get("ATHENA_SMTP_USER") or None,
            "smtp_password": env.get("ATHENA_SMTP_PASSWORD") or None,
            "smtp_to": tuple(a.strip() for a in env.get("ATHENA_SMTP_TO", "").split(",") if a.strip()),
        }
        optional = {
            "smtp_port": "ATHENA_SMTP_PORT",
            "smtp_from": "ATHENA_SMTP_FROM",
            "smtp_starttls": "ATHENA_SMTP_STARTTLS",
            "min_severity": "ATHENA_ALERT_MIN_SEVERITY",
            "timeout_s": "ATHENA_ALERT_TIMEOUT",
            "max_attempts": "ATHENA_ALERT_MAX_ATTEMPTS",
            "retry_s": "ATHENA_ALERT_RETRY_S",
        }
        values.update({field: env[name] for field, name in optional.items() if env.get(name)})
        return cls.model_validate(values)

    def __repr__(self) -> str:
        channels = [name for name, on in (("webhook", self.webhook_url), ("smtp", self.smtp_host)) if on]
        return f"AlertSettings(channels={channels!r}, min_severity={self.min_severity!r})"

    __str__ = __repr__


class Settings(BaseModel):
    """Where the workspace lives and how it behaves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    home: Path
    db_url: str
    security: SecuritySettings = SecuritySettings()
    trading: TradingSettings = TradingSettings()
    alerts: AlertSettings = AlertSettings()
    #: SQLite ``synchronous`` pragma: ``full`` (default) fsyncs every commit and survives power
    #: loss; ``normal`` (``ATHENA_SQLITE_SYNCHRONOUS=normal``) survives a process crash but may
    #: lose the last commits on power loss or an OS crash.
    sqlite_synchronous: Literal["full", "normal"] = "full"

    @classmethod
    def from_env(
        cls,
        home: str | Path | None = None,
        db_url: str | None = None,
        security: SecuritySettings | None = None,
        alerts: AlertSettings | None = None,
    ) -> Settings:
        """Build settings from arguments, falling back to the environment and defaults."""
        root = Path(home or os.environ.get("ATHENA_HOME") or ".athena").expanduser().absolute()
        url = db_url or os.environ.get("ATHENA_DB_URL") or f"sqlite:///{root / 'athena.db'}"
        sec = security or SecuritySettings()
        ttl = os.environ.get("ATHENA_SESSION_TTL")
        synchronous = os.environ.get("ATHENA_SQLITE_SYNCHRONOUS") or "full"
        if synchronous.lower() not in ("full", "normal"):
            raise InvalidConfig(f"ATHENA_SQLITE_SYNCHRONOUS must be full or normal, was {synchronous!r}")
        try:
            if ttl is not None and security is None:
                sec = sec.model_copy(update={"session_ttl_s": int(ttl)})
                SecuritySettings.model_validate(sec.model_dump())
            return cls(home=root, db_url=url, security=sec, trading=_trading_from_env(),
                       alerts=alerts or AlertSettings.from_env(),
                       sqlite_synchronous="normal" if synchronous.lower() == "normal" else "full")
        except (ValidationError, ValueError) as exc:
            raise InvalidConfig(f"invalid settings: {exc}") from None

    @property
    def key_path(self) -> Path:
        """Return the path of the workspace secret key file."""
        return self.home / "secret.key"

    @property
    def log_dir(self) -> Path:
        """Return the workspace log directory."""
        return self.home / "logs"

    @property
    def is_sqlite(self) -> bool:
        """Return whether the database is SQLite."""
        return self.db_url.startswith("sqlite")

    def fingerprint(self) -> str:
        """Return a SHA-256 of the non-secret configuration, to trace results to their config."""
        data = self.model_dump(mode="json")
        data["db_url"] = redact_url(self.db_url)
        data["alerts"]["webhook_url"] = redact_url(self.alerts.webhook_url or "")
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def __repr__(self) -> str:
        return f"Settings(home={str(self.home)!r}, db_url={redact_url(self.db_url)!r})"

    __str__ = __repr__
