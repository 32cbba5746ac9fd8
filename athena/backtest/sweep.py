"""Parameter sweeps: every combination of a grid, on the compiled path when it is exact."""

from __future__ import annotations

import itertools
import math
import multiprocessing
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from athena.backtest.config import BacktestConfig
from athena.backtest.engine import Engine, RunOutput
from athena.backtest.metrics import Metrics, compute_metrics
from athena.backtest.result import as_bars
from athena.config import dask_address
from athena.data.bars import Bars
from athena.errors import InvalidInput, InvalidParameter
from athena.strategies.base import Strategy
from athena.strategies.builtins import SignalStrategy
from athena.strategies.indicators import Indicators
from athena.strategies.registry import get

__all__ = ["OBJECTIVES", "SweepResult", "evaluate", "grid_of", "sweep"]

Mode = Literal["auto", "fast", "event"]

OBJECTIVES = (
    "total_return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown", "win_rate", "profit_factor",
    "expectancy", "final_equity",
)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The metrics of every valid combination of a grid.

    Attributes
    ----------
    strategy : str
        The strategy name.
    table : pandas.DataFrame
        One row per valid combination: the parameters, then every metric.
    skipped : pandas.DataFrame
        Combinations the strategy refused (``validate``), with the reason.
    mode : str
        ``"fast"`` (compiled replay) or ``"event"`` (event engine).
    config : BacktestConfig
        The settings shared by every run.
    params : tuple of str
        The swept parameter names.
    """

    strategy: str
    table: pd.DataFrame
    skipped: pd.DataFrame
    mode: str
    config: BacktestConfig
    params: tuple[str, ...] = field(default=())

    def best(self, objective: str = "sharpe", *, min_trades: int = 0) -> dict[str, object]:
        """Return the parameters maximising ``objective`` among runs with at least ``min_trades``.

        Parameters
        ----------
        objective : str
            A metric name from ``OBJECTIVES`` (``max_drawdown`` is maximised, i.e. the shallowest).
        min_trades : int
            Minimum number of closed trades.

        Returns
        -------
        dict
            Parameter values of the best run; ties go to the earliest combination.

        Raises
        ------
        InvalidInput
            When the objective is unknown or no run qualifies.
        """
        _check_objective(objective)
        table = self.table[self.table["trades"] >= min_trades]
        scores = pd.to_numeric(table[objective], errors="coerce").replace([np.inf], np.finfo(float).max)
        scores = scores.dropna()
        if scores.empty:
            raise InvalidInput(
                f"no combination has a finite {objective} with at least {min_trades} trades "
                f"({len(self.table)} valid runs)"
            )
        row = table.loc[cast(int, scores.idxmax())]
        return {name: _plain(row[name]) for name in self.params}


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _check_objective(objective: str) -> None:
    if objective not in OBJECTIVES:
        from athena.strategies.base import suggest

        raise InvalidInput(
            f"unknown objective {objective!r}{suggest(objective, OBJECTIVES)} (choose from {', '.join(OBJECTIVES)})"
        )


def grid_of(grid: Mapping[str, Sequence[object] | object]) -> list[dict[str, object]]:
    """Return every combination of ``grid`` in row-major order (the last name varies fastest).

    Parameters
    ----------
    grid : Mapping[str, sequence or scalar]
        Values per parameter; a scalar or string is one value.

    Returns
    -------
    list of dict
        The combinations.
    """
    names = list(grid)
    values = [
        list(v) if isinstance(v, Sequence) and not isinstance(v, str) else [v] for v in grid.values()
    ]
    for name, options in zip(names, values, strict=True):
        if not options:
            raise InvalidInput(f"grid values for {name!r} are empty")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def evaluate(
    cls: type[Strategy], bars: Bars, config: BacktestConfig, params: Mapping[str, object], *,
    fast: bool, indicators: Indicators | None = None, start: pd.Timestamp | None = None,
) -> tuple[Metrics, RunOutput]:
    """Run one parameter combination and return its metrics and raw output.

    Parameters
    ----------
    cls : type[Strategy]
        The strategy class.
    bars : Bars
        The data.
    config : BacktestConfig
        The settings.
    params : Mapping[str, object]
        Parameter values.
    fast : bool
        Use the compiled replay (the caller checked :func:`athena.backtest.fast.supports`).
    indicators : Indicators, optional
        Memoised indicators of the single symbol, for the fast path.
    start : pandas.Timestamp, optional
        First traded timestamp.

    Returns
    -------
    tuple of Metrics and RunOutput
        The outcome.
    """
    strategy = cls(**params)
    if fast:
        from athena.backtest.fast import replay

        frame = bars.frame
        first = 0 if start is None else int(frame.index.searchsorted(start))
        out = replay(cast(SignalStrategy, strategy), frame, config, first=first, indicators=indicators,
                     symbol=bars.symbols[0])
    else:
        engine = Engine(strategy, bars, config, start=start)
        engine.run()
        out = engine.output()
    return _metrics(config, out.equity, out.trades["pnl"].to_numpy(), out.exposure, out.traded_value), out


def _metrics(config: BacktestConfig, equity: pd.Series, pnl: npt.NDArray[np.float64], exposure: float,
             traded: float) -> Metrics:
    return compute_metrics(equity, config.cash, pnl, exposure=exposure, traded_value=traded,
                           periods_per_year=config.periods_per_year, risk_free=config.risk_free)


def _fast_metrics(cls: type[Strategy], bars: Bars, config: BacktestConfig, params: Mapping[str, object],
                  ind: Indicators) -> Metrics:
    from athena.backtest.fast import kernel_outputs

    equity, _, t_flt, held, traded, *_ = kernel_outputs(cast(SignalStrategy, cls(**params)), ind, config)
    curve = pd.Series(equity, index=bars.frame.index, name="equity")
    return _metrics(config, curve, t_flt[:, 3], held / len(equity), float(traded))


_WORKER: dict[str, Any] = {}
#: Combinations per cluster task: big enough to amortise a task, small enough to spread the grid.
_CLUSTER_CHUNK = 8


def _init_worker(cls: type[Strategy], bars: Bars, config: BacktestConfig, fast: bool) -> None:
    _WORKER.update(cls=cls, bars=bars, config=config, fast=fast,
                   ind=Indicators(bars.frame) if fast else None)


def _run_chunk(combos: list[dict[str, object]]) -> list[dict[str, object]]:
    w = _WORKER
    return [_row(w["cls"], w["bars"], w["config"], p, w["fast"], w["ind"]) for p in combos]


def _row(cls: type[Strategy], bars: Bars, config: BacktestConfig, params: dict[str, object], fast: bool,
         ind: Indicators | None) -> dict[str, object]:
    if fast and ind is not None:
        metrics = _fast_metrics(cls, bars, config, params, ind)
    else:
        metrics, _ = evaluate(cls, bars, config, params, fast=False)
    return {**params, **metrics.to_dict()}


def _chunks(items: list[dict[str, object]], size: int) -> Iterator[list[dict[str, object]]]:
    for k in range(0, len(items), size):
        yield items[k:k + size]


def sweep(
    strategy: type[Strategy] | str,
    bars: Bars | pd.DataFrame,
    grid: Mapping[str, Sequence[object] | object],
    *,
    cash: float = 100_000.0,
    commission: float = 0.0,
    fixed_commission: float = 0.0,
    slippage_bps: float = 0.0,
    fill: Literal["close", "next_open"] = "close",
    fractional: bool = True,
    close_at_end: bool = False,
    periods_per_year: float | None = None,
    mode: Mode = "auto",
    n_jobs: int = 1,
    progress: bool = True,
    cluster: bool = True,
) -> SweepResult:
    """Backtest every combination of a parameter grid.

    Combinations the strategy refuses in ``validate`` (e.g. ``fast >= slow``) are listed in
    ``skipped``, not run. Built-in signal strategies on one symbol use the compiled replay, whose
    trades equal the event engine's; others use the event engine.

    Parameters
    ----------
    strategy : type[Strategy] or str
        A class, registered name or ``"module:Class"``.
    bars : Bars or pandas.DataFrame
        The data.
    grid : Mapping[str, sequence]
        Values per parameter, e.g. ``{"fast": range(5, 50, 5), "slow": range(20, 200, 20)}``.
    cash, commission, fixed_commission, slippage_bps, fill, fractional, close_at_end, periods_per_year
        As for :func:`athena.backtest.run`.
    mode : {"auto", "fast", "event"}
        ``"fast"`` requires the compiled path, ``"event"`` forces the engine.
    n_jobs : int
        Worker processes; ``-1`` uses every core. One runs in this process.
    progress : bool
        Show a tqdm progress bar.
    cluster : bool
        With ``ATHENA_DASK_ADDRESS`` set, run the combinations on that Dask cluster instead of
        ``n_jobs`` local processes (same rows either way); False keeps them here.

    Returns
    -------
    SweepResult
        Metrics per combination.

    Raises
    ------
    InvalidInput
        For bad settings, an empty grid, or ``mode="fast"`` where the compiled path does not apply.
    InvalidParameter
        For a parameter name the strategy does not have.
    """
    from tqdm.auto import tqdm

    from athena.backtest.fast import supports

    cls = get(strategy) if not (isinstance(strategy, type) and issubclass(strategy, Strategy)) else strategy
    for name in grid:
        if name not in cls.parameters:
            from athena.strategies.base import suggest

            raise InvalidParameter(
                f"unknown parameter {name!r} for strategy {cls.name!r}{suggest(name, cls.parameters)}"
            )
    config = BacktestConfig(
        cash=cash, commission=commission, fixed_commission=fixed_commission, slippage_bps=slippage_bps,
        fill=fill, fractional=fractional, close_at_end=close_at_end, periods_per_year=periods_per_year,
    )
    data = as_bars(bars)
    can_fast = supports(cls, len(data))
    if mode == "fast" and not can_fast:
        raise InvalidInput(
            f"the compiled path needs a built-in signal strategy on one symbol; {cls.name!r} on "
            f"{len(data)} symbol(s) must use mode='event' or 'auto'"
        )
    fast = can_fast and mode != "event"
    valid: list[dict[str, object]] = []
    skipped: list[dict[str, object]] = []
    for combo in grid_of(grid):
        try:
            checked = cls(**combo).params
        except InvalidParameter as exc:
            skipped.append({**combo, "reason": str(exc)})
            continue
        valid.append({k: checked[k] for k in combo})
    workers = multiprocessing.cpu_count() if n_jobs == -1 else n_jobs
    if workers < 1:
        raise InvalidInput(f"n_jobs must be >= 1 or -1, was {n_jobs}")
    rows: list[dict[str, object]] = []
    with tqdm(total=len(valid), desc=f"sweep {cls.name}", unit="run", disable=not progress) as bar:
        address = dask_address() if cluster else None
        if address and len(valid) >= 2:
            from athena.backtest.cluster import sweep_chunks

            for chunk in sweep_chunks(address, cls, data, config, fast, list(_chunks(valid, _CLUSTER_CHUNK))):
                rows.extend(chunk)
                bar.update(len(chunk))
        elif workers == 1 or len(valid) < 2:
            ind = Indicators(data.frame) if fast else None
            for params in valid:
                rows.append(_row(cls, data, config, params, fast, ind))
                bar.update()
        else:
            size = max(1, math.ceil(len(valid) / (workers * 4)))
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                     initargs=(cls, data, config, fast)) as pool:
                for chunk in pool.map(_run_chunk, _chunks(valid, size)):
                    rows.extend(chunk)
                    bar.update(len(chunk))
    names = tuple(grid)
    table = pd.DataFrame(rows)
    skipped_table = pd.DataFrame(skipped, columns=[*names, "reason"])
    return SweepResult(cls.name, table, skipped_table, "fast" if fast else "event", config, names)
