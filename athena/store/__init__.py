"""Persistence: SQLModel tables, the engine and session factory, and schema migrations.

Sessions are explicit: ``with store.read() as s`` for reads and ``with store.write() as s``
for a write transaction, which on SQLite takes the write lock up front (``BEGIN IMMEDIATE``).
"""

from athena.store.batch import add_batched, write_batched
from athena.store.database import Store, normalise_url
from athena.store.migrations import MIGRATIONS, Migration, current_version, migrate
from athena.store.outbox import events_since, last_event_id, publish
from athena.store.tables import (
    AlertDeliveryRow,
    AlertEventRow,
    AlertRow,
    ApprovalRow,
    AuditHeadRow,
    AuditRow,
    DeploymentRow,
    EngineStatusRow,
    EventRow,
    FillRow,
    InstrumentRow,
    JobRow,
    JobScheduleRow,
    LimitRow,
    MarkRow,
    OrderRow,
    OrderTransitionRow,
    ParamVersionRow,
    PositionRow,
    RunRow,
    SessionRow,
    SettingRow,
    SnapshotRow,
    TradingStateRow,
    UserRow,
)
from athena.store.types import DecimalText

__all__ = [
    "MIGRATIONS",
    "AlertDeliveryRow",
    "AlertEventRow",
    "AlertRow",
    "ApprovalRow",
    "AuditHeadRow",
    "AuditRow",
    "DecimalText",
    "EventRow",
    "FillRow",
    "InstrumentRow",
    "JobRow",
    "JobScheduleRow",
    "MarkRow",
    "OrderRow",
    "OrderTransitionRow",
    "PositionRow",
    "RunRow",
    "LimitRow",
    "DeploymentRow",
    "ParamVersionRow",
    "SnapshotRow",
    "EngineStatusRow",
    "TradingStateRow",
    "Migration",
    "SessionRow",
    "SettingRow",
    "Store",
    "UserRow",
    "add_batched",
    "current_version",
    "events_since",
    "last_event_id",
    "migrate",
    "normalise_url",
    "publish",
    "write_batched",
]
