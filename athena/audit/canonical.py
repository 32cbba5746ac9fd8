"""Canonical JSON: one byte string per value, so hashes are reproducible anywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

__all__ = ["canonical_json", "format_ts"]


def format_ts(ts: datetime) -> str:
    """Render an aware datetime as fixed-width UTC ISO text with microseconds."""
    if ts.tzinfo is None:
        raise ValueError(f"audit times must be timezone-aware, was {ts!r}")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} into an audit payload")


def canonical_json(value: Any) -> str:
    """Serialise ``value`` with sorted keys, no spaces, UTF-8 and no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default
    )
