"""The append-only, hash-chained, signed audit ledger, its verifier, queries and export."""

from athena.audit.canonical import canonical_json
from athena.audit.export import export_entries
from athena.audit.ledger import GENESIS_HASH, append, entry_hash, head
from athena.audit.query import AuditFilter, query
from athena.audit.verify import VerifyReport, verify

__all__ = [
    "GENESIS_HASH",
    "AuditFilter",
    "VerifyReport",
    "append",
    "canonical_json",
    "entry_hash",
    "export_entries",
    "head",
    "query",
    "verify",
]
