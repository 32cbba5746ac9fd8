"""Column types: exact decimals stored as text, so SQLite never rounds money through a float."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from athena.model import FeeCharge

__all__ = ["DecimalText", "FeeDetailText", "fee_detail_json", "parse_fee_detail"]


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal stored as its exact text."""

    impl = String(48)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"expected Decimal, got {type(value).__name__}")
        return format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


def fee_detail_json(detail: Sequence[FeeCharge]) -> str:
    """Return ``detail`` as canonical JSON: ``{currency: {"amount": text, "value": text}}``, keys sorted."""
    return json.dumps({c.currency: {"amount": format(c.amount, "f"), "value": format(c.value, "f")} for c in detail},
                      sort_keys=True, separators=(",", ":"))


def parse_fee_detail(text: str) -> tuple[FeeCharge, ...]:
    """Return the charges :func:`fee_detail_json` wrote, in currency order."""
    data = json.loads(text)
    return tuple(FeeCharge(currency, Decimal(part["amount"]), Decimal(part["value"]))
                 for currency, part in sorted(data.items()))


class FeeDetailText(TypeDecorator[tuple[FeeCharge, ...]]):
    """A fill's fees per currency as exact JSON text (:func:`fee_detail_json`); NULL for none."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return fee_detail_json(value) if value else None

    def process_result_value(self, value: Any, dialect: Dialect) -> tuple[FeeCharge, ...]:
        return parse_fee_detail(value) if value else ()
