"""Athena's backtester against backtrader, backtesting.py and vectorbt, measured in one run.

Run: ``.venv/bin/python benchmarks/bench_backtest.py [--bars 1000000] [--sweep-bars 100000]``.

1. SMA 10/30 cross (long-only, fills at the signal bar's close, 0.01% commission, all-in) on one-minute
   synthetic bars: Athena's event engine, backtesting.py and vectorbt on all bars, backtrader on a
   slice (scaled to bars/s).
2. A 100-combination grid (fast 5..50 x slow 60..240) on ``--sweep-bars`` bars: Athena's compiled
   path and vectorbt on the whole grid, backtesting.py on a sample of combinations (scaled to
   combos/s); final equities are compared combination by combination.
3. Peak memory of a 5-symbol x ``--bars`` backtest, in a fresh process.

Timings exclude imports and JIT compilation (each compiled library runs once before timing; the
compile time is printed). Athena and vectorbt report the best of ``--repeat`` runs (the machine is
shared); backtesting.py and backtrader, at tens of seconds, run once. Ratios are Athena / peer.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import athena.backtest as bt
from athena.data import Bars, synthetic
from athena.strategies import indicators

# 1 bp a side: with 0.1% the ~19,000 round trips on this series drive equity to ~1e-11 of cash,
# where peers' minimum-size rules (not the engines) decide the remaining trades.
COMMISSION = 0.0001
CASH = 1_000_000.0
FAST = list(range(5, 55, 5))
SLOW = list(range(60, 260, 20))


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, out = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def athena_event(bars: Bars) -> bt.BacktestResult:
    return bt.run("sma_cross", bars, cash=CASH, commission=COMMISSION, params={"fast": 10, "slow": 30})


def backtesting_py(frame: pd.DataFrame, fast: int = 10, slow: int = 30) -> float:
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    data = frame.rename(columns=str.capitalize)
    data.index = data.index.tz_localize(None)

    def sma(values: np.ndarray, n: int) -> pd.Series:
        return pd.Series(values).rolling(n).mean()

    class SmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, fast)
            self.slow = self.I(sma, self.data.Close, slow)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                if not self.position:
                    self.buy()
            elif crossover(self.slow, self.fast) and self.position:
                self.position.close()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = Backtest(data, SmaCross, cash=CASH, commission=COMMISSION, trade_on_close=True).run()
    return float(stats["Equity Final [$]"])


def vectorbt_single(close: pd.Series) -> tuple[float, int]:
    import vectorbt as vbt

    fast = vbt.MA.run(close, 10).ma.to_numpy()
    slow = vbt.MA.run(close, 30).ma.to_numpy()
    entries, exits = indicators.crossover(fast, slow), indicators.crossunder(fast, slow)
    pf = vbt.Portfolio.from_signals(close, entries, exits, init_cash=CASH, fees=COMMISSION, size=np.inf)
    return float(pf.final_value()), int(pf.trades.closed.count())


def backtrader_run(frame: pd.DataFrame) -> float:
    import backtrader

    class SmaCross(backtrader.Strategy):  # type: ignore[misc]
        def __init__(self) -> None:
            self.cross = backtrader.ind.CrossOver(backtrader.ind.SMA(period=10), backtrader.ind.SMA(period=30))

        def next(self) -> None:
            if self.cross[0] > 0 and not self.position:
                cash, price = self.broker.get_cash(), self.data.close[0]
                self.buy(size=cash / (1 + COMMISSION) / price * (1 - 1e-12))
            elif self.cross[0] < 0 and self.position:
                self.close()

    data = frame.copy()
    data.index = data.index.tz_localize(None)
    cerebro = backtrader.Cerebro(stdstats=False)
    cerebro.adddata(backtrader.feeds.PandasData(dataname=data))
    cerebro.addstrategy(SmaCross)
    cerebro.broker.setcash(CASH)
    cerebro.broker.set_coc(True)
    cerebro.broker.setcommission(commission=COMMISSION)
    cerebro.run()
    return float(cerebro.broker.getvalue())


def vectorbt_grid(close: pd.Series) -> np.ndarray:
    import vectorbt as vbt

    fast, slow = vbt.MA.run(close, FAST), vbt.MA.run(close, SLOW)
    fast_ma = np.repeat(fast.ma.to_numpy(), len(SLOW), axis=1)
    slow_ma = np.tile(slow.ma.to_numpy(), (1, len(FAST)))
    entries = np.zeros(fast_ma.shape, dtype=bool)
    exits = np.zeros(fast_ma.shape, dtype=bool)
    entries[1:] = (fast_ma[:-1] < slow_ma[:-1]) & (fast_ma[1:] > slow_ma[1:])
    exits[1:] = (fast_ma[:-1] > slow_ma[:-1]) & (fast_ma[1:] < slow_ma[1:])
    pf = vbt.Portfolio.from_signals(close, entries, exits, init_cash=CASH, fees=COMMISSION, size=np.inf)
    return np.asarray(pf.final_value(), dtype=float)


def athena_grid(bars: Bars) -> np.ndarray:
    result = bt.sweep("sma_cross", bars, {"fast": FAST, "slow": SLOW}, cash=CASH, commission=COMMISSION,
                      progress=False)
    assert result.mode == "fast"
    return result.table["final_equity"].to_numpy(dtype=float)


def peak_memory(n_bars: int) -> float:
    code = (
        "import resource, athena.backtest as bt, athena.data as d\n"
        f"bars = d.synthetic(5, {n_bars}, seed=1)\n"
        "r = bt.run('sma_cross', bars, commission=0.001)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--sweep-bars", type=int, default=100_000)
    parser.add_argument("--backtrader-bars", type=int, default=50_000)
    parser.add_argument("--backtesting-combos", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for Athena and vectorbt")
    args = parser.parse_args()
    n = args.bars
    bars = synthetic(["SYN"], n, timeframe="1m", seed=1, volatility=0.3)
    frame = bars.frame
    # vectorbt is an order of magnitude slower on a tz-aware index: give it a naive one.
    close = pd.Series(frame["close"].to_numpy().copy(), index=frame.index.tz_localize(None), name="close")
    print(f"# SMA 10/30 on {n:,} one-minute bars")
    athena_event(bars.slice(None, frame.index[1_000]))
    t_athena, result = timed(lambda: athena_event(bars), args.repeat)
    print(f"athena event engine : {t_athena:7.2f} s  {n / t_athena:12,.0f} bars/s  trades={result.metrics.trades}")
    t_compile, _ = timed(lambda: vectorbt_single(close.iloc[:1_000].copy()))
    t_vbt, (vbt_final, vbt_trades) = timed(lambda: vectorbt_single(close), args.repeat)
    print(f"vectorbt            : {t_vbt:7.2f} s  {n / t_vbt:12,.0f} bars/s  "
          f"(first call incl. compile {t_compile:.1f} s)")
    t_btpy, btpy_final = timed(lambda: backtesting_py(frame))
    print(f"backtesting.py      : {t_btpy:7.2f} s  {n / t_btpy:12,.0f} bars/s")
    m = min(args.backtrader_bars, n)
    t_bt, _ = timed(lambda: backtrader_run(frame.iloc[:m]))
    print(f"backtrader ({m:,} bars): {t_bt:7.2f} s  {m / t_bt:12,.0f} bars/s")
    rate = n / t_athena
    print(f"ratios athena/peer  : backtrader {rate / (m / t_bt):.1f}x, backtesting.py {rate / (n / t_btpy):.1f}x, "
          f"vectorbt {rate / (n / t_vbt):.2f}x")
    print(f"closed trades athena={result.metrics.trades} vectorbt={vbt_trades}; final equity "
          f"athena={result.metrics.final_equity:.9e} vectorbt={vbt_final:.9e} (vectorbt uses its own MA, "
          f"equal to the last ulp or so); backtesting.py (whole units)={btpy_final:.2f}")

    k = args.sweep_bars
    small = bars.slice(None, frame.index[k]) if k < n else bars
    small_close = close.iloc[: len(small.frame)].copy()
    combos = len(FAST) * len(SLOW)
    print(f"\n# {combos}-combination grid on {k:,} bars")
    t_compile, _ = timed(lambda: athena_grid(small.slice(None, small.frame.index[2_000])))
    t_fast, ours = timed(lambda: athena_grid(small), args.repeat)
    print(f"athena fast path    : {t_fast:7.2f} s  {combos / t_fast:8.1f} combos/s  "
          f"(first call incl. compile/load {t_compile:.1f} s)")
    t_compile, _ = timed(lambda: vectorbt_grid(small_close.iloc[:2_000].copy()))
    t_vgrid, theirs = timed(lambda: vectorbt_grid(small_close), args.repeat)
    print(f"vectorbt            : {t_vgrid:7.2f} s  {combos / t_vgrid:8.1f} combos/s  "
          f"(first call incl. compile {t_compile:.1f} s)")
    c = args.backtesting_combos
    t_bgrid, _ = timed(lambda: [backtesting_py(small.frame, f, s) for f, s in zip(FAST[:c], SLOW[:c], strict=True)])
    print(f"backtesting.py ({c} combos): {t_bgrid:7.2f} s  {c / t_bgrid:8.1f} combos/s")
    fast_rate = combos / t_fast
    print(f"ratios athena/peer  : vectorbt {fast_rate / (combos / t_vgrid):.1f}x, "
          f"backtesting.py {fast_rate / (c / t_bgrid):.0f}x")
    rel = np.abs(ours - theirs) / np.abs(theirs)
    same = int((rel <= 1e-9).sum())
    print(f"identical final equity (rel <= 1e-9) vs vectorbt: {same}/{combos}, max rel diff {rel.max():.2e}")
    sample = [(FAST[i], SLOW[j]) for i, j in ((0, 0), (4, 5), (9, 9))]
    event = [bt.run("sma_cross", small, cash=CASH, commission=COMMISSION, params={"fast": f, "slow": s})
             .metrics.final_equity for f, s in sample]
    fast_rows = [ours[FAST.index(f) * len(SLOW) + SLOW.index(s)] for f, s in sample]
    print(f"fast path == event engine on {len(sample)} sampled combos: {event == fast_rows}")

    print(f"\n# memory: 5 symbols x {n:,} bars backtest peak RSS {peak_memory(n):,.0f} MB")
    print(f"\nmachine: {__import__('os').cpu_count()} cores; python {sys.version.split()[0]}; "
          f"athena goal event >= 1M bars/s: {'met' if rate >= 1e6 else 'NOT met'}; "
          f"sweep >= 2x vectorbt: {'met' if fast_rate >= 2 * combos / t_vgrid else 'NOT met'}")
    if math.isnan(result.metrics.final_equity):
        raise SystemExit("athena produced NaN equity")


if __name__ == "__main__":
    main()
