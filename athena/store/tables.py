"""SQLModel tables. The schema itself is created by ``athena.store.migrations``.

Times are stored timezone-aware; audit timestamps are stored as the exact ISO text that was
hashed, so verification never depends on how a database rounds or renders times.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from athena.model import FeeCharge
from athena.store.types import DecimalText, FeeDetailText

__all__ = [
    "AlertDeliveryRow",
    "AlertEventRow",
    "AlertRow",
    "FillRow",
    "InstrumentRow",
    "MarkRow",
    "OrderRow",
    "OrderTransitionRow",
    "PositionRow",
    "JobRow",
    "JobScheduleRow",
    "LimitRow",
    "DeploymentRow",
    "ParamVersionRow",
    "SnapshotRow",
    "EngineStatusRow",
    "RunRow",
    "TradingStateRow",
    "ApprovalRow",
    "AuditHeadRow",
    "AuditRow",
    "EventRow",
    "SessionRow",
    "SettingRow",
    "UserRow",
]


def _aware(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    role: str = Field(max_length=16)
    password_hash: str
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=_aware(nullable=True))
    totp_secret: str | None = None
    totp_pending: str | None = None
    totp_last_step: int | None = None
    created_at: datetime = Field(sa_column=_aware())
    updated_at: datetime = Field(sa_column=_aware())


class SessionRow(SQLModel, table=True):
    __tablename__ = "sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(sa_column=_aware())
    expires_at: datetime = Field(sa_column=_aware())
    revoked_at: datetime | None = Field(default=None, sa_column=_aware(nullable=True))


class ApprovalRow(SQLModel, table=True):
    __tablename__ = "approvals"

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(max_length=64)
    params: str
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(sa_column=_aware())
    expires_at: datetime = Field(sa_column=_aware())
    status: str = Field(max_length=16, index=True)
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_column=_aware(nullable=True))
    reason: str | None = None


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit_ledger"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    ts: str = Field(max_length=32)
    actor: str = Field(max_length=64, index=True)
    action: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=256)
    outcome: str = Field(max_length=16)
    payload: str
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    signature: str = Field(max_length=64)


class AuditHeadRow(SQLModel, table=True):
    __tablename__ = "audit_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int
    hash: str = Field(max_length=64)
    signature: str = Field(max_length=64)


class EventRow(SQLModel, table=True):
    __tablename__ = "events"

    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = Field(sa_column=_aware())
    type: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=256)
    payload: str
    audit_seq: int | None = None


class SettingRow(SQLModel, table=True):
    __tablename__ = "settings"

    key: str = Field(primary_key=True, max_length=64)
    value: str


def _decimal(nullable: bool = False) -> Column[Decimal]:
    return Column(DecimalText(), nullable=nullable)


class InstrumentRow(SQLModel, table=True):
    __tablename__ = "instruments"

    symbol: str = Field(primary_key=True, max_length=32)
    venue: str = Field(max_length=32)
    tick_size: Decimal = Field(sa_column=_decimal())
    lot_size: Decimal = Field(sa_column=_decimal())
    min_quantity: Decimal = Field(sa_column=_decimal())


class MarkRow(SQLModel, table=True):
    __tablename__ = "marks"

    symbol: str = Field(primary_key=True, max_length=32)
    price: Decimal = Field(sa_column=_decimal())
    ts: datetime = Field(sa_column=_aware())


class TradingStateRow(SQLModel, table=True):
    __tablename__ = "trading_states"

    scope: str = Field(primary_key=True, max_length=96)
    state: str = Field(max_length=16)
    reason: str
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(sa_column=_aware())


class OrderRow(SQLModel, table=True):
    __tablename__ = "orders"

    id: int | None = Field(default=None, primary_key=True)
    client_order_id: str = Field(unique=True, max_length=64)
    symbol: str = Field(max_length=32, index=True)
    side: str = Field(max_length=8)
    type: str = Field(max_length=8)
    quantity: Decimal = Field(sa_column=_decimal())
    price: Decimal | None = Field(default=None, sa_column=_decimal(nullable=True))
    stop_price: Decimal | None = Field(default=None, sa_column=_decimal(nullable=True))
    tif: str = Field(max_length=8)
    strategy: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=20, index=True)
    filled_quantity: Decimal = Field(sa_column=_decimal())
    average_price: Decimal | None = Field(default=None, sa_column=_decimal(nullable=True))
    venue: str = Field(max_length=32)
    reason: str | None = None
    requested_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_aware())
    updated_at: datetime = Field(sa_column=_aware())


class OrderTransitionRow(SQLModel, table=True):
    __tablename__ = "order_transitions"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    reason: str | None = None
    ts: datetime = Field(sa_column=_aware())


class FillRow(SQLModel, table=True):
    __tablename__ = "fills"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    symbol: str = Field(max_length=32, index=True)
    side: str = Field(max_length=8)
    quantity: Decimal = Field(sa_column=_decimal())
    price: Decimal = Field(sa_column=_decimal())
    fee: Decimal = Field(sa_column=_decimal())
    ts: datetime = Field(sa_column=_aware())
    fee_currency: str | None = Field(default=None, max_length=16)
    fee_native: Decimal | None = Field(default=None, sa_column=_decimal(nullable=True))
    fee_detail: tuple[FeeCharge, ...] = Field(default=(), sa_column=Column(FeeDetailText(), nullable=True))


class PositionRow(SQLModel, table=True):
    """One symbol's average-cost position in one book (``global`` or ``strategy:<name>``).

    Kept up to date in the transaction of every fill; the same figures as replaying the fills.
    """

    __tablename__ = "positions"

    book: str = Field(primary_key=True, max_length=96)
    symbol: str = Field(primary_key=True, max_length=32)
    quantity: Decimal = Field(sa_column=_decimal())
    average_price: Decimal = Field(sa_column=_decimal())
    realized_pnl: Decimal = Field(sa_column=_decimal())
    fees: Decimal = Field(sa_column=_decimal())
    cash_flow: Decimal = Field(sa_column=_decimal())
    updated_at: datetime = Field(sa_column=_aware())


class RunRow(SQLModel, table=True):
    __tablename__ = "runs"

    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=16, index=True)
    strategy: str = Field(max_length=128)
    params: str
    config_hash: str = Field(max_length=64)
    data_fingerprint: str = Field(max_length=64)
    metrics: str
    artefacts: str
    status: str = Field(max_length=16)
    error: str | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_aware())
    symbols: str | None = None
    book: str | None = None


class SnapshotRow(SQLModel, table=True):
    __tablename__ = "snapshots"

    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = Field(sa_column=_aware())
    nav: Decimal = Field(sa_column=_decimal())
    cash: Decimal = Field(sa_column=_decimal())
    realized_pnl: Decimal = Field(sa_column=_decimal())
    unrealized_pnl: Decimal = Field(sa_column=_decimal())
    fees: Decimal = Field(sa_column=_decimal())
    gross_exposure: Decimal = Field(sa_column=_decimal())
    net_exposure: Decimal = Field(sa_column=_decimal())
    leverage: Decimal = Field(sa_column=_decimal())
    drawdown: Decimal = Field(sa_column=_decimal())
    peak_nav: Decimal = Field(sa_column=_decimal())
    detail: str


class EngineStatusRow(SQLModel, table=True):
    __tablename__ = "engine_status"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    state: str = Field(max_length=16)
    pid: int
    host: str = Field(max_length=128)
    feed: str = Field(max_length=32)
    started_at: datetime = Field(sa_column=_aware())
    heartbeat_at: datetime = Field(sa_column=_aware())
    ticks: int
    last_latency_ms: float
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    latency_p99_ms: float = 0.0


class DeploymentRow(SQLModel, table=True):
    __tablename__ = "strategy_deployments"

    name: str = Field(primary_key=True, max_length=64)
    ref: str = Field(max_length=256)
    symbols: str
    timeframe: str = Field(max_length=16)
    params: str
    params_version: int
    capital: Decimal = Field(sa_column=_decimal())
    lifecycle: str = Field(max_length=16)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_aware())
    updated_at: datetime = Field(sa_column=_aware())


class ParamVersionRow(SQLModel, table=True):
    __tablename__ = "strategy_param_versions"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(foreign_key="strategy_deployments.name", index=True, max_length=64)
    version: int
    params: str
    changed_by: str = Field(max_length=64)
    changed_at: datetime = Field(sa_column=_aware())


class LimitRow(SQLModel, table=True):
    __tablename__ = "mandate_limits"

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=96, index=True)
    kind: str = Field(max_length=32)
    breach: Decimal = Field(sa_column=_decimal())
    warn: Decimal | None = Field(default=None, sa_column=_decimal(nullable=True))
    action: str = Field(max_length=16)
    symbols: str
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(sa_column=_aware())


class JobRow(SQLModel, table=True):
    __tablename__ = "jobs"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=64, index=True)
    params: str
    status: str = Field(max_length=16, index=True)
    requested_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_aware())
    started_at: datetime | None = Field(default=None, sa_column=_aware(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=_aware(nullable=True))
    progress: float = 0.0
    timeout_s: int
    pid: int | None = None
    output_notebook: str
    output_html: str
    log_path: str
    error: str | None = None
    runner: str | None = Field(default=None, max_length=128)
    host: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_column=_aware(nullable=True))


class JobScheduleRow(SQLModel, table=True):
    __tablename__ = "job_schedules"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    cron: str = Field(max_length=128)
    params: str
    timeout_s: int
    paused: bool = False
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_aware())
    next_fire_at: datetime = Field(sa_column=_aware())
    last_fire_at: datetime | None = Field(default=None, sa_column=_aware(nullable=True))
    last_job_id: str | None = Field(default=None, max_length=32)


class AlertRow(SQLModel, table=True):
    __tablename__ = "alerts"

    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = Field(sa_column=_aware())
    severity: str = Field(max_length=16, index=True)
    source: str = Field(max_length=256)
    message: str
    details: str
    status: str = Field(max_length=16, index=True)
    owner: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(sa_column=_aware())


class AlertEventRow(SQLModel, table=True):
    __tablename__ = "alert_events"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alerts.id", index=True)
    ts: datetime = Field(sa_column=_aware())
    kind: str = Field(max_length=16)
    actor: str = Field(max_length=64)
    note: str = ""
    detail: str = "{}"


class AlertDeliveryRow(SQLModel, table=True):
    __tablename__ = "alert_deliveries"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alerts.id", index=True)
    channel: str = Field(max_length=16)
    status: str = Field(max_length=16)
    attempts: int = 0
    next_at: datetime = Field(sa_column=_aware())
    last_error: str = ""
    created_at: datetime = Field(sa_column=_aware())
    updated_at: datetime = Field(sa_column=_aware())
