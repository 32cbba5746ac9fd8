"""Export ledger entries as JSON Lines or CSV, with hashes, for auditors' own tools."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

from athena.audit.canonical import canonical_json, format_ts
from athena.errors import InvalidInput
from athena.model import AuditEntry

__all__ = ["FORMATS", "export_entries"]

FORMATS = ("jsonl", "csv")
_COLUMNS = ("seq", "ts", "actor", "action", "subject", "outcome", "payload", "prev_hash", "hash", "signature")


def _row(entry: AuditEntry) -> dict[str, str | int]:
    return {
        "seq": entry.seq,
        "ts": format_ts(entry.ts),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "outcome": entry.outcome.value,
        "payload": canonical_json(entry.payload),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "signature": entry.signature,
    }


def export_entries(entries: Iterable[AuditEntry], out: TextIO, fmt: str) -> int:
    """Write ``entries`` to ``out`` as ``jsonl`` or ``csv``; return how many were written."""
    if fmt not in FORMATS:
        raise InvalidInput(f"export format must be one of {', '.join(FORMATS)}, was {fmt!r}")
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=_COLUMNS)
        writer.writeheader()
        for entry in entries:
            writer.writerow(_row(entry))
            count += 1
    else:
        for entry in entries:
            out.write(json.dumps(_row(entry), ensure_ascii=False) + "\n")
            count += 1
    return count
