"""Stress tests and risk analytics from the shell: scenarios, impacts, VaR/CVaR, exposures."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from athena.cli._base import Context, cli, pairs, pass_ctx, table
from athena.errors import InvalidInput

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _book(fn: Any) -> Any:
    for option in reversed([
        click.option("--positions", "positions_path", type=_FILE,
                     help="CSV/JSON file of symbol,quantity[,price,stop]."),
        click.option("--portfolio", type=click.Choice(["live"]), help="Use the live positions and marks (login)."),
        click.option("--run", "run_id", help="Use the book a recorded backtest run ended with (login)."),
        click.option("--prices", "prices_path", type=_FILE, help="CSV/JSON file of symbol,price."),
        click.option("--data", "data_path", type=_FILE, help="Bars (CSV/Parquet): last closes and return history."),
        click.option("--strategy", help="With --portfolio live: only this strategy's book."),
        click.option("--cash", type=float,
                     help="Cash of the book (NAV = cash + notional); default 0, or the live book's cash."),
    ]):
        fn = option(fn)
    return fn


def _ratio(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.2f}"


def _load_book(ctx: Context, positions_path: Path | None, portfolio: str | None, run_id: str | None,
               prices_path: Path | None, data_path: Path | None, strategy: str | None,
               cash: float | None) -> tuple[Any, Any]:
    from athena import data
    from athena.stress import Portfolio, read_positions_table, read_prices

    sources = "--positions FILE, --portfolio live or --run RUN_ID"
    given = [n for n, v in (("--positions", positions_path), ("--portfolio", portfolio), ("--run", run_id)) if v]
    if len(given) > 1:
        raise click.UsageError(f"give one of {sources}, not {' and '.join(given)}")
    bars = data.load(data_path) if data_path is not None else None
    own: dict[str, float] = {}
    stops: dict[str, float] = {}
    peak: float | None = None
    if strategy is not None and portfolio is None:
        raise click.UsageError("--strategy needs --portfolio live")
    if portfolio is not None:
        live = Portfolio.from_console(ctx.console(), strategy=strategy, cash=cash)
        held, own, cash = dict(live.positions), dict(live.prices), live.cash
    elif run_id is not None:
        ended = Portfolio.from_run(ctx.console().get_run(run_id))
        held, own, peak = dict(ended.positions), dict(ended.prices), ended.peak_nav
        cash = ended.cash if cash is None else cash
    elif positions_path is not None:
        rows = read_positions_table(positions_path)
        held = {s: r["quantity"] for s, r in rows.items()}
        own = {s: r["price"] for s, r in rows.items() if "price" in r}
        stops = {s: r["stop"] for s, r in rows.items() if "stop" in r}
    else:
        raise click.UsageError(f"give one of {sources}")
    if bars is not None and data_path is not None:
        missing = sorted(s for s, q in held.items() if q != 0 and s not in bars.symbols)
        if missing:
            raise InvalidInput(f"no price history for {', '.join(missing)} in {data_path.name}, "
                               f"which holds {', '.join(bars.symbols)}")
    prices = {s: float(bars[s]["close"].iloc[-1]) for s in bars.symbols if s in held} if bars is not None else {}
    prices.update(own)
    if prices_path is not None:
        prices.update(read_prices(prices_path))
    if not any(q != 0 for q in held.values()):
        raise InvalidInput("the portfolio holds no positions")
    return Portfolio(positions=held, prices=prices, cash=cash or 0.0, stops=stops, peak_nav=peak), bars


def _limits(values: tuple[str, ...]) -> Any:
    from athena.stress import Limits

    parsed: dict[str, object] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"limits are NAME=VALUE, was {item!r}")
        try:
            parsed[name.strip()] = float(value)
        except ValueError:
            raise InvalidInput(f"limit {name.strip()} must be a number, was {value!r}") from None
    return Limits.from_mapping(parsed) if parsed else None


@cli.group()
def stress() -> None:
    """Stress tests: the scenario library, user scenarios and their impact on a book."""


@stress.command("scenarios")
@click.option("--file", "scenario_file", type=_FILE, help="Also list (and validate) scenarios from this YAML file.")
@pass_ctx
def stress_scenarios(ctx: Context, scenario_file: Path | None) -> None:
    """List the historical scenarios (and user ones from --file)."""
    from athena import stress as st

    found = list(st.library().values()) + (st.load(scenario_file) if scenario_file else [])
    rows = [s.to_dict() for s in found]
    ctx.emit(rows, lambda: table(
        [(s.name, s.kind, f"{s.start} .. {s.end}" if s.start else "", s.title) for s in found],
        ["NAME", "KIND", "WINDOW", "TITLE"]))


@stress.command("run")
@click.option("--scenario", "-s", "names", multiple=True, required=True,
              help="Scenario name, repeatable; `all` runs the whole library.")
@click.option("--scenario-file", type=_FILE, help="YAML file of user scenarios.")
@_book
@click.option("--limit", "limit_values", multiple=True,
              help="NAME=VALUE, repeatable: max_gross_leverage, max_drawdown, max_position_notional, ...")
@click.option("--confidence", default=0.99, show_default=True, type=float, help="Confidence of the stressed VaR.")
@pass_ctx
def stress_run(ctx: Context, names: tuple[str, ...], scenario_file: Path | None, positions_path: Path | None,
               portfolio: str | None, run_id: str | None, prices_path: Path | None, data_path: Path | None,
               strategy: str | None, cash: float | None,
               limit_values: tuple[str, ...], confidence: float) -> None:
    """Apply scenarios to a book: PnL, NAV after, drawdown, exposures, leverage, limit breaches."""
    from athena import stress as st
    from athena.risk.returns import returns_of

    extra = st.load(scenario_file) if scenario_file else []
    chosen = [st.get(n, extra) for n in names if n != "all"]
    if "all" in names:
        chosen += [s for s in st.library().values() if s not in chosen]
    book, bars = _load_book(ctx, positions_path, portfolio, run_id, prices_path, data_path, strategy, cash)
    limits = _limits(limit_values)
    returns = returns_of(bars, book.positions) if bars is not None else None
    impacts = [st.impact(s, book, limits=limits, returns=returns, confidence=confidence) for s in chosen]
    out = [i.to_dict() for i in impacts]

    def human() -> None:
        for i in impacts:
            click.echo(f"== {i.scenario}")
            pairs({"NAV": f"{i.nav_before:,.2f} -> {i.nav_after:,.2f}", "PnL": f"{i.pnl:,.2f} ({i.return_pct:+.2%})",
                   "liquidity cost": f"{i.liquidity_cost:,.2f}", "drawdown": f"{i.drawdown:.2%}",
                   "gross": f"{i.gross_before:,.2f} -> {i.gross_after:,.2f}",
                   "net": f"{i.net_before:,.2f} -> {i.net_after:,.2f}",
                   "leverage": f"{i.leverage_before:.2f} -> {i.leverage_after:.2f}"})
            if i.var_after is not None:
                pairs({"VaR": f"{i.var_before:,.2f} -> {i.var_after:,.2f} (stressed)"})
            table([(s, f"{r.shock:+.2%}", f"{r.price:,.6g}", f"{r.price_after:,.6g}", "yes" if r.stopped else "",
                    f"{r.pnl:,.2f}") for s, r in i.positions.iterrows()],
                  ["SYMBOL", "SHOCK", "PRICE", "AFTER", "STOPPED", "PNL"])
            if i.unshocked:
                click.echo(f"not shocked by this scenario: {', '.join(i.unshocked)}")
            for b in i.breaches:
                click.echo(f"BREACH {b}")

    ctx.emit(out, human)


@cli.group()
def risk() -> None:
    """Risk analytics: VaR/CVaR and exposures of a book."""


@risk.command("var")
@click.option("--method", type=click.Choice(["historical", "parametric", "cornish_fisher", "montecarlo"]),
              default="historical", show_default=True)
@click.option("--confidence", default=0.99, show_default=True, type=float)
@click.option("--horizon", default="1", show_default=True, help="Periods (10) or a duration (1d, 10d).")
@click.option("--simulations", default=10_000, show_default=True, type=click.IntRange(100))
@click.option("--seed", default=0, show_default=True, type=int)
@_book
@pass_ctx
def risk_var(ctx: Context, method: str, confidence: float, horizon: str, simulations: int, seed: int,
             positions_path: Path | None, portfolio: str | None, run_id: str | None, prices_path: Path | None,
             data_path: Path | None, strategy: str | None, cash: float | None) -> None:
    """VaR and CVaR of a book from the return history in --data, with component VaR per position."""
    from athena.risk.returns import returns_of
    from athena.risk.var import value_at_risk

    book, bars = _load_book(ctx, positions_path, portfolio, run_id, prices_path, data_path, strategy, cash)
    if bars is None:
        raise click.UsageError("VaR needs the return history: pass --data FILE")
    exposures = {s: q * book.prices[s] for s, q in book.positions.items()}
    result = value_at_risk(returns_of(bars, exposures), exposures, method=method, confidence=confidence,
                           horizon=horizon, simulations=simulations, seed=seed)
    out = {**result.to_dict(), "nav": book.nav, "var_pct_nav": result.var / book.nav if book.nav > 0 else None}

    def human() -> None:
        pairs({"method": method, "confidence": f"{confidence:.4g}", "horizon": f"{result.horizon} periods",
               "VaR": f"{result.var:,.2f}", "CVaR": f"{result.cvar:,.2f}", "NAV": f"{book.nav:,.2f}",
               "observations": result.observations})
        if result.standard_error is not None:
            pairs({"VaR std error": f"{result.standard_error:,.2f}"})
        table([(s, f"{exposures[s]:,.2f}", f"{v:,.2f}", f"{w:,.2f}") for s, v, w in
               zip(exposures, result.components, result.cvar_components, strict=True)],
              ["SYMBOL", "EXPOSURE", "COMPONENT VAR", "COMPONENT CVAR"])

    ctx.emit(out, human)


@risk.command("exposures")
@_book
@click.option("--top", default=5, show_default=True, type=click.IntRange(1), help="Largest weights to show.")
@pass_ctx
def risk_exposures(ctx: Context, positions_path: Path | None, portfolio: str | None, run_id: str | None,
                   prices_path: Path | None, data_path: Path | None, strategy: str | None, cash: float | None,
                   top: int) -> None:
    """Exposures, leverage and concentration of a book; the correlation matrix when --data is given."""
    from athena.risk.correlation import average_correlation, correlation_matrix
    from athena.risk.exposures import concentration, exposures
    from athena.risk.returns import returns_of

    book, bars = _load_book(ctx, positions_path, portfolio, run_id, prices_path, data_path, strategy, cash)
    exp = exposures(book.positions, book.prices, nav=book.nav)
    conc = concentration(exp.table["notional"], top=top)
    corr = correlation_matrix(returns_of(bars, book.positions)) if bars is not None else None
    out: dict[str, Any] = {**exp.to_dict(), "concentration": conc.to_dict()}
    if corr is not None:
        out["correlation"] = {str(k): {str(c): float(v) for c, v in row.items()} for k, row in corr.iterrows()}
        out["average_correlation"] = average_correlation(corr)

    def human() -> None:
        table([(s, f"{r.quantity:,.8g}", f"{r.price:,.6g}", f"{r.notional:,.2f}", f"{r.weight:.2%}")
               for s, r in exp.table.iterrows()], ["SYMBOL", "QUANTITY", "PRICE", "NOTIONAL", "WEIGHT"])
        pairs({"NAV": f"{book.nav:,.2f}", "gross": f"{exp.gross:,.2f}", "net": f"{exp.net:,.2f}",
               "gross leverage": _ratio(exp.gross_leverage), "net leverage": _ratio(exp.net_leverage),
               "HHI": f"{conc.hhi:.4f}", "effective n": f"{conc.effective_positions:.2f}"})
        if corr is not None:
            click.echo(corr.round(3).to_string())

    ctx.emit(out, human)
