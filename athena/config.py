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
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from athena.errors import InvalidConfig

__all__ = ["KdfSettings", "SecuritySettings", "Settings", "TradingSettings", "redact_url"]

_URL_PASSWORD = re.compile(r"(?P<head>[a-z0-9+]+://[^:/@]+:)(?P<secret>[^@]+)(?P<tail>@)", re.I)


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


class Settings(BaseModel):
    """Where the workspace lives and how it behaves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    home: Path
    db_url: str
    security: SecuritySettings = SecuritySettings()
    trading: TradingSettings = TradingSettings()

    @classmethod
    def from_env(
        cls,
        home: str | Path | None = None,
        db_url: str | None = None,
        security: SecuritySettings | None = None,
    ) -> Settings:
        """Build settings from arguments, falling back to the environment and defaults."""
        root = Path(home or os.environ.get("ATHENA_HOME") or ".athena").expanduser().absolute()
        url = db_url or os.environ.get("ATHENA_DB_URL") or f"sqlite:///{root / 'athena.db'}"
        sec = security or SecuritySettings()
        ttl = os.environ.get("ATHENA_SESSION_TTL")
        try:
            if ttl is not None and security is None:
                sec = sec.model_copy(update={"session_ttl_s": int(ttl)})
                SecuritySettings.model_validate(sec.model_dump())
            return cls(home=root, db_url=url, security=sec, trading=_trading_from_env())
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
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def __repr__(self) -> str:
        return f"Settings(home={str(self.home)!r}, db_url={redact_url(self.db_url)!r})"

    __str__ = __repr__
