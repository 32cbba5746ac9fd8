"""Research from the shell: data, backtests, sweeps, walk-forwards and the run history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from athena.cli._base import Context, cli, pairs, parse_params, plain, table
from athena.errors import InvalidParameter, NotInitialised
from athena.model import RunBook


def _grid(values: tuple[str, ...]) -> dict[str, list[object]]:
    grid: dict[str, list[object]] = {}
    for name, value in parse_params(values).items():
        text = str(value)
        if ":" in text:
            parts = text.split(":")
            if len(parts) not in (2, 3) or not all(p.strip().lstrip("-").isdigit() for p in parts):
                raise InvalidParameter(f"a range is START:STOP[:STEP] of integers, was {name}={text}")
            start, stop, *step = (int(p) for p in parts)
            if step and step[0] <= 0:
                raise InvalidParameter(f"a range's STEP must be > 0, was {name}={text}")
            grid[name] = list(range(start, stop + 1, step[0] if step else 1))
        else:
            grid[name] = [v.strip() for v in text.split(",")]
    return grid


def _costs(fn: Any) -> Any:
    for option in reversed([
        click.option("--strategy", "-s", required=True, help="Registered name or module:Class."),
        click.option("--data", "data_path", required=True, type=click.Path(exists=True, dir_okay=False,
                                                                            path_type=Path),
                     help="CSV or Parquet bars."),
        click.option("--cash", default=100_000.0, show_default=True, type=float),
        click.option("--commission", default=0.0, show_default=True, type=float, help="Fraction per side."),
        click.option("--fixed-commission", default=0.0, show_default=True, type=float, help="Cash per fill."),
        click.option("--slippage-bps", default=0.0, show_default=True, type=float),
        click.option("--fill", type=click.Choice(["close", "next_open"]), default="close", show_default=True),
        click.option("--whole-units", is_flag=True, help="Round all-in sizes down to whole units."),
    ]):
        fn = option(fn)
    return fn


def _record(ctx: Context, kind: str, strategy: str, params: dict[str, Any], config_hash: str,
            fingerprint: str, metrics: dict[str, Any], artefacts: dict[str, str], symbols: tuple[str, ...],
            book: RunBook | None = None) -> str | None:
    """Record the run when a session exists; research works without a workspace or a login."""
    try:
        console = ctx.console()
    except (click.ClickException, NotInitialised) as exc:
        click.echo(f"note: run not recorded in the history ({exc})", err=True)
        return None
    return console.record_run(kind=kind, strategy=strategy, params=params, config_hash=config_hash,
                              data_fingerprint=fingerprint, metrics=metrics, artefacts=artefacts,
                              symbols=symbols, book=book).id


@cli.command()
@_costs
@click.option("-p", "--param", "params", multiple=True, help="NAME=VALUE, repeatable.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="HTML report path.")
@click.pass_obj
def backtest(ctx: Context, strategy: str, data_path: Path, cash: float, commission: float, fixed_commission: float,
             slippage_bps: float, fill: str, whole_units: bool, params: tuple[str, ...],
             report_path: Path | None) -> None:
    """Backtest a strategy on a data file; recorded in the run history when logged in."""
    from athena import backtest as bt
    from athena import data
    from athena.stress import Portfolio

    bars = data.load(data_path)
    result = bt.run(strategy, bars, cash=cash, commission=commission,
                    fixed_commission=fixed_commission, slippage_bps=slippage_bps, fill=fill,  # type: ignore[arg-type]
                    fractional=not whole_units, params=parse_params(params))
    artefacts: dict[str, str] = {}
    if report_path is not None:
        artefacts["report"] = str(result.report(report_path))
    summary = result.to_dict()
    run_id = _record(ctx, "backtest", result.strategy, result.params, result.config_hash, result.data_fingerprint,
                     summary["metrics"], artefacts, bars.symbols, Portfolio.from_backtest(result).to_run_book())
    out = {"run_id": run_id, **summary}

    def human() -> None:
        click.echo(f"{result.strategy} {result.params}  fills at {result.fill_at}")
        pairs({k: v for k, v in summary["metrics"].items()})
        if run_id:
            click.echo(f"run {run_id} recorded")

    ctx.emit(out, human)


@cli.command()
@_costs
@click.option("-g", "--grid", "grid", multiple=True, required=True,
              help="NAME=START:STOP[:STEP] or NAME=a,b,c; repeatable.")
@click.option("--objective", default="sharpe", show_default=True)
@click.option("--min-trades", default=1, show_default=True, type=click.IntRange(0))
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(1), help="Local processes.")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1))
@click.pass_obj
def sweep(ctx: Context, strategy: str, data_path: Path, cash: float, commission: float, fixed_commission: float,
          slippage_bps: float, fill: str, whole_units: bool, grid: tuple[str, ...], objective: str,
          min_trades: int, jobs: int, top: int) -> None:
    """Run a parameter grid and rank it by an objective."""
    from athena import backtest as bt
    from athena import data

    bars = data.load(data_path)
    result = bt.sweep(strategy, bars, _grid(grid), cash=cash, commission=commission,
                      fixed_commission=fixed_commission, slippage_bps=slippage_bps, fill=fill,  # type: ignore[arg-type]
                      fractional=not whole_units, n_jobs=jobs, progress=not ctx.as_json)
    best = result.best(objective, min_trades=min_trades)
    ranked = result.table.sort_values(objective, ascending=False).head(top)
    spec: dict[str, object] = {"grid": {k: [str(v) for v in vs] for k, vs in _grid(grid).items()},
                               "objective": objective, "min_trades": min_trades}
    run_id = _record(ctx, "sweep", result.strategy, spec, result.config.digest(result.strategy, spec),
                     bars.fingerprint(),
                     {"best": {k: str(v) for k, v in best.items()}, "combinations": len(result.table)}, {},
                     bars.symbols)
    out = {"run_id": run_id, "mode": result.mode, "best": best,
           "top": json.loads(ranked.to_json(orient="records")), "skipped": len(result.skipped)}

    def human() -> None:
        click.echo(f"{len(result.table)} combinations ({result.mode} path), {len(result.skipped)} skipped")
        click.echo(ranked.to_string(index=False))
        click.echo(f"best by {objective}: {best}")

    ctx.emit(out, human)


@cli.command()
@_costs
@click.option("-g", "--grid", "grid", multiple=True, required=True, help="NAME=START:STOP[:STEP] or NAME=a,b,c.")
@click.option("--train", required=True, help="In-sample length: bars (500) or a duration (90D).")
@click.option("--test", "test_len", required=True, help="Out-of-sample length: bars or a duration.")
@click.option("--anchored", is_flag=True, help="Grow the in-sample window from the start.")
@click.option("--objective", default="sharpe", show_default=True)
@click.option("--min-trades", default=1, show_default=True, type=click.IntRange(0))
@click.pass_obj
def walkforward(ctx: Context, strategy: str, data_path: Path, cash: float, commission: float,
                fixed_commission: float, slippage_bps: float, fill: str, whole_units: bool, grid: tuple[str, ...],
                train: str, test_len: str, anchored: bool, objective: str, min_trades: int) -> None:
    """Optimise in-sample, trade out-of-sample, stitch the out-of-sample equity."""
    from athena import backtest as bt
    from athena import data

    bars = data.load(data_path)
    result = bt.walk_forward(strategy, bars, _grid(grid), train=int(train) if train.isdigit() else train,
                             test=int(test_len) if test_len.isdigit() else test_len, anchored=anchored,
                             objective=objective, min_trades=min_trades, cash=cash, commission=commission,
                             fixed_commission=fixed_commission, slippage_bps=slippage_bps,
                             fill=fill, fractional=not whole_units, progress=not ctx.as_json)  # type: ignore[arg-type]
    metrics = {k: (v if isinstance(v, int | float) else str(v)) for k, v in result.metrics.to_dict().items()}
    spec: dict[str, object] = {"grid": {k: [str(v) for v in vs] for k, vs in _grid(grid).items()},
                               "train": train, "test": test_len, "anchored": anchored, "objective": objective}
    config = bt.BacktestConfig(cash=cash, commission=commission, fixed_commission=fixed_commission,
                               slippage_bps=slippage_bps, fill=fill, fractional=not whole_units)  # type: ignore[arg-type]
    run_id = _record(ctx, "walkforward", result.strategy, spec, config.digest(result.strategy, spec),
                     bars.fingerprint(), metrics, {}, bars.symbols)
    out = {"run_id": run_id, "metrics": metrics, "windows": json.loads(result.windows.to_json(orient="records")),
           "stability": json.loads(result.stability.to_json(orient="records"))}

    def human() -> None:
        click.echo(result.windows.to_string(index=False))
        pairs(metrics)

    ctx.emit(out, human)


@cli.group("data")
def data_group() -> None:
    """Make and check market data files."""


@data_group.command("synthetic")
@click.option("--symbols", default="SYN", show_default=True, help="Comma-separated symbols.")
@click.option("--periods", default=10_000, show_default=True, type=click.IntRange(2))
@click.option("--timeframe", default="1m", show_default=True)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--start", default="2024-01-01", show_default=True)
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV or Parquet file.")
@click.pass_obj
def data_synthetic(ctx: Context, symbols: str, periods: int, timeframe: str, seed: int, start: str,
                   output: Path) -> None:
    """Write seeded synthetic bars (correlated geometric random walks with jumps)."""
    from athena import data

    bars = data.synthetic(symbols=tuple(s.strip() for s in symbols.split(",")), periods=periods,
                          timeframe=timeframe, seed=seed, start=start)
    path = data.save(bars, output)
    ctx.emit({"path": str(path), "symbols": list(bars.symbols), "bars": bars.n_bars,
              "fingerprint": bars.fingerprint()},
             lambda: click.echo(f"wrote {bars.n_bars} bars of {', '.join(bars.symbols)} to {path}"))


@data_group.command("fetch")
@click.argument("exchange_id")
@click.argument("symbol")
@click.option("--timeframe", default="1h", show_default=True)
@click.option("--since", required=True, help="Start (UTC), e.g. 2024-01-01.")
@click.option("--until", required=True, help="End (UTC, exclusive).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Also write CSV or Parquet.")
@click.pass_obj
def data_fetch(ctx: Context, exchange_id: str, symbol: str, timeframe: str, since: str, until: str,
               output: Path | None) -> None:
    """Download history through ccxt into the workspace cache (only missing ranges are fetched)."""
    from athena import data

    bars = data.fetch(exchange_id, symbol, timeframe, since, until, cache_dir=ctx.settings.home / "cache",
                      progress=not ctx.as_json)
    path = data.save(bars, output) if output else None
    ctx.emit({"symbol": symbol, "bars": bars.n_bars, "fingerprint": bars.fingerprint(),
              "path": str(path) if path else None},
             lambda: click.echo(f"{bars.n_bars} bars of {symbol} {timeframe}"
                                + (f" written to {path}" if path else "")))


@data_group.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def data_check(ctx: Context, path: Path) -> None:
    """Validate a data file and report gaps."""
    from athena import data

    bars = data.load(path)
    holes = data.gaps(bars)
    ctx.emit({"symbols": list(bars.symbols), "bars": bars.n_bars, "gaps": len(holes),
              "fingerprint": bars.fingerprint()},
             lambda: click.echo(f"ok: {bars.n_bars} bars of {', '.join(bars.symbols)}, {len(holes)} gaps"))


@cli.group()
def runs() -> None:
    """The research run history."""


@runs.command("list")
@click.option("--kind", type=click.Choice(["backtest", "sweep", "walkforward"]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@click.pass_obj
def runs_list(ctx: Context, kind: str | None, limit: int) -> None:
    """List recorded runs, newest first."""
    rows = ctx.console().list_runs(kind, limit)
    ctx.emit(rows, lambda: table([(r.id[:12], r.kind, r.strategy, json.dumps(r.params)[:40], r.status,
                                   r.created_by, f"{r.created_at:%Y-%m-%d %H:%M}") for r in rows],
                                 ["RUN", "KIND", "STRATEGY", "PARAMS", "STATUS", "BY", "CREATED (UTC)"]))


@runs.command("show")
@click.argument("run_id")
@click.pass_obj
def runs_show(ctx: Context, run_id: str) -> None:
    """Show one run: provenance, metrics, artefacts, symbols and the book a backtest ended with."""
    run = ctx.console().get_run(run_id)
    ctx.emit(run, lambda: click.echo(json.dumps({"id": run.id, "kind": run.kind, "strategy": run.strategy,
                                                 "params": run.params, "metrics": run.metrics,
                                                 "artefacts": run.artefacts, "symbols": run.symbols,
                                                 "book": plain(run.book)}, indent=2, default=str)))
