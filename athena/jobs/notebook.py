"""What the job notebooks call: one function per job, so notebooks stay a parameters cell and a call."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from athena.audit import AuditFilter
from athena.console import Console
from athena.errors import InvalidParameter
from athena.model import Role

__all__ = [
    "DailyReport",
    "backtest_job",
    "daily_report",
    "metrics_table",
    "nav_figure",
    "parse_params",
    "record_backtest",
    "save_stress",
    "stress_job",
    "walk_forward_job",
]

REPORTS_ACTOR = "reports"


def parse_params(text: str) -> dict[str, object]:
    """Parse ``"fast:10,slow:30"`` into a dict (values stay strings; strategies convert them).

    Pairs use ``:`` because papermill cannot read a parameters cell line holding two ``=``.
    """
    out: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.rpartition(":")
        if not sep or not name.strip():
            raise InvalidParameter(f"expected name:value pairs separated by commas, was {item!r}")
        out[name.strip()] = value.strip()
    return out


def _bars(data: str, periods: int, seed: int, symbols: str = "SYN", timeframe: str = "1h",
          start: str = "2024-01-01", end: str = "") -> Any:
    from athena import data as market
    from athena.data.bars import parse_timeframe

    if data:
        return market.load(data)
    if end:
        span = pd.Timestamp(end) - pd.Timestamp(start)
        periods = int(span / parse_timeframe(timeframe)) + 1
        if periods < 2:
            raise InvalidParameter(f"end must be at least two bars after start, was start={start} end={end}")
    names = tuple(s.strip() for s in symbols.split(",") if s.strip())
    if not names:
        raise InvalidParameter(f"symbols must name at least one symbol, was {symbols!r}")
    return market.synthetic(symbols=names, periods=periods, timeframe=timeframe, seed=seed, start=start)


def metrics_table(metrics: Any, digits: int = 6) -> pd.Series:
    """Return the numeric metrics rounded to ``digits``, for stable notebook outputs."""
    values = {k: round(float(v), digits) for k, v in metrics.to_dict().items()
              if isinstance(v, int | float) and not isinstance(v, bool)}
    return pd.Series(values, name="value")


def backtest_job(*, strategy: str, params: str, data: str, periods: int, seed: int, cash: float,
                 commission: float, report: str = "", symbols: str = "SYN", timeframe: str = "1h",
                 start: str = "2024-01-01", end: str = "") -> Any:
    """Run one backtest and return the result; write its HTML report to ``report`` when given."""
    from athena.backtest import run

    bars = _bars(data, periods, seed, symbols, timeframe, start, end)
    result = run(strategy, bars, params=parse_params(params), cash=cash, commission=commission)
    if report:
        result.report(report)
    return result


def record_backtest(result: Any, *, name: str = "") -> str | None:
    """Record a backtest in the run history when it runs as a job; return the run id (None otherwise).

    The job's runner names the job in ``ATHENA_JOB_ID``; the run is recorded by the jobs system
    actor under ``name`` (a strategy deployment) or the strategy's own name, with its metrics, and
    its equity curve written to ``equity.csv`` in the job's output folder (the notebook's cwd).
    """
    from athena import connect
    from athena.jobs.runner import JOBS_ACTOR
    from athena.stress.portfolio import Portfolio

    job_id = os.environ.get("ATHENA_JOB_ID", "")
    if not job_id:
        return None
    console = connect().system(JOBS_ACTOR)
    job = console.job(job_id)
    equity = Path(job.output_notebook).parent / "equity.csv"
    result.equity.rename("equity").to_csv(equity, index_label="time")
    summary = result.to_dict()
    run = console.record_run(kind="backtest", strategy=name or result.strategy, params=summary["params"],
                             config_hash=result.config_hash, data_fingerprint=result.data_fingerprint,
                             metrics=summary["metrics"],
                             artefacts={"job": job_id, "equity": str(equity), "notebook": job.output_notebook,
                                        "html": job.output_html, "ref": result.strategy},
                             symbols=result.bars.symbols, book=Portfolio.from_backtest(result).to_run_book())
    return run.id


def walk_forward_job(*, strategy: str, grid: str, data: str, periods: int, seed: int, train: str, test: str,
                     anchored: bool, objective: str, commission: float) -> Any:
    """Run a walk-forward over ``grid`` (``"fast:5|10,slow:30|50"``) and return the result."""
    from athena.backtest import walk_forward

    spec = {name: [v.strip() for v in str(values).split("|")] for name, values in parse_params(grid).items()}
    return walk_forward(strategy, _bars(data, periods, seed), spec, train=int(train) if train.isdigit() else train,
                        test=int(test) if test.isdigit() else test, anchored=anchored, objective=objective,
                        commission=commission, progress=False)


def stress_job(*, scenarios: str, positions: str, prices: str, cash: float, strategy: str = "") -> pd.DataFrame:
    """Stress a book (``"BTC/USDT:1.5,ETH/USDT:-10"``, with ``prices`` alike) with library scenarios.

    With ``strategy`` (a deployment name) the book is that strategy's live book, read through Console,
    and ``positions``, ``prices`` and ``cash`` are not used.
    """
    from athena import connect, stress

    names = [s.strip() for s in scenarios.split(",") if s.strip()] or list(stress.scenarios().index)
    if strategy:
        book = stress.Portfolio.from_console(connect().system(REPORTS_ACTOR, Role.VIEWER), strategy=strategy)
    else:
        held = {k: float(str(v)) for k, v in parse_params(positions).items()}
        marks = {k: float(str(v)) for k, v in parse_params(prices).items()}
        book = stress.Portfolio(held, marks, cash=cash)
    return stress.run(names, book).drop(columns=["impact"])


def save_stress(table: pd.DataFrame) -> Path | None:
    """Write the stress table to ``stress.csv`` beside the job's output notebook when run as a job."""
    from athena import connect
    from athena.jobs.runner import JOBS_ACTOR

    job_id = os.environ.get("ATHENA_JOB_ID", "")
    if not job_id:
        return None
    job = connect().system(JOBS_ACTOR, Role.VIEWER).job(job_id)
    path = Path(job.output_notebook).parent / "stress.csv"
    table.to_csv(path, index_label="scenario")
    return path


@dataclass(frozen=True)
class DailyReport:
    """Everything the daily report shows, as tables and figures."""

    day: datetime
    performance: pd.DataFrame
    attribution: pd.DataFrame
    risk: pd.DataFrame
    limits: pd.DataFrame
    alerts: pd.DataFrame
    trading: pd.DataFrame
    kill_switch: pd.DataFrame
    ledger: pd.DataFrame
    nav: pd.Series


def _nav_at(snaps: pd.Series, when: datetime, default: Decimal) -> Decimal:
    before = snaps[snaps.index < when]
    return Decimal(str(before.iloc[-1])) if len(before) else default


def daily_report(console: Console | None = None, day: str = "") -> DailyReport:
    """Gather the daily report for ``day`` (UTC date, default today) from the workspace."""
    from athena import connect
    from athena.execution.portfolio import DEFAULT_PAPER_CASH

    console = console or connect().system(REPORTS_ACTOR, Role.VIEWER)
    now = console.workspace.clock.now()
    start = datetime.fromisoformat(day).replace(tzinfo=UTC) if day else now.replace(hour=0, minute=0, second=0,
                                                                                      microsecond=0)
    end = start + timedelta(days=1)
    snapshots = console.snapshots(limit=1_000_000)
    nav = pd.Series([float(s.nav) for s in snapshots], index=pd.to_datetime([s.ts for s in snapshots], utc=True),
                    name="nav", dtype=float)
    current = console.portfolio()
    now_nav = _nav_at(nav, end, current.nav) if len(nav) else current.nav
    base = DEFAULT_PAPER_CASH
    marks = {
        "day": _nav_at(nav, start, base), "month": _nav_at(nav, start.replace(day=1), base),
        "year": _nav_at(nav, start.replace(month=1, day=1), base),
    }
    performance = pd.DataFrame({"nav": [float(now_nav)] * 3, "pnl": [float(now_nav - v) for v in marks.values()],
                                "return": [float(now_nav / v - 1) if v else 0.0 for v in marks.values()]},
                               index=["day", "month to date", "year to date"])
    rows = [{"book": "portfolio", "symbol": p.symbol, "quantity": float(p.quantity), "value": float(p.market_value),
             "unrealized": float(p.unrealized_pnl), "realized": float(p.realized_pnl)} for p in current.positions]
    for deployment in console.strategies():
        book = console.portfolio(deployment.name)
        rows += [{"book": deployment.name, "symbol": p.symbol, "quantity": float(p.quantity),
                  "value": float(p.market_value), "unrealized": float(p.unrealized_pnl),
                  "realized": float(p.realized_pnl)} for p in book.positions]
    attribution = pd.DataFrame(rows, columns=["book", "symbol", "quantity", "value", "unrealized", "realized"])
    last = snapshots[-1] if snapshots else None
    risk = pd.DataFrame({"value": [float(current.gross_exposure), float(current.net_exposure),
                                   float(current.leverage), float(last.drawdown) if last else 0.0]},
                        index=["gross exposure", "net exposure", "leverage", "drawdown"])
    limits = pd.DataFrame([{"scope": st.limit.scope, "kind": st.limit.kind.value, "value": float(st.value),
                            "warn": st.limit.warn, "breach": st.limit.breach, "level": st.level.value}
                           for st in console.mandate_status()],
                          columns=["scope", "kind", "value", "warn", "breach", "level"])

    def entries(action: str) -> pd.DataFrame:
        found = console.audit(AuditFilter(action=action, since=start, until=end, limit=None, newest_first=False))
        return pd.DataFrame([{"time": e.ts, "actor": e.actor, "action": e.action, "subject": e.subject,
                              **{k: v for k, v in e.payload.items() if isinstance(v, str | int | float)}}
                             for e in found])

    orders = [o for o in console.orders(limit=1_000_000) if start <= o.created_at < end]
    fills = [f for f in console.fills(limit=1_000_000) if start <= f.ts < end]
    trading = pd.DataFrame({"count": [len(orders), sum(o.status.value == "denied" for o in orders), len(fills)],
                            "notional": [float(sum((o.quantity * (o.average_price or 0) for o in orders),
                                                   Decimal(0))), 0.0,
                                         float(sum((f.quantity * f.price for f in fills), Decimal(0)))]},
                           index=["orders", "denied orders", "fills"])
    report = console.verify_audit()
    ledger = pd.DataFrame({"value": [report.entries, report.head_seq, report.head_hash, "OK" if report.ok
                                     else f"BROKEN at {report.first_bad_seq}: {report.reason}"]},
                          index=["entries", "head sequence", "head hash", "chain"])
    return DailyReport(start, performance, attribution, risk, limits, entries("alerts.raise"), trading,
                       entries("killswitch.*"), ledger, nav[(nav.index >= start) & (nav.index < end)])


def nav_figure(nav: pd.Series, path: Path | None = None) -> Any:
    """Return a Bokeh line chart of NAV (saved as standalone HTML when ``path`` is given)."""
    from bokeh.plotting import figure, output_file, save

    fig = figure(title="NAV", x_axis_type="datetime", height=300, sizing_mode="stretch_width")
    fig.line(nav.index.to_numpy(), nav.to_numpy(), line_width=2, color="#7B3FE4")
    if path is not None:
        output_file(path, title="NAV", mode="inline")
        save(fig)
    return fig
