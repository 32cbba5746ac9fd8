"""Sweeps and walk-forward: grids, objectives, parallel runs, windows, stitching, stability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import athena.backtest as bt
from athena.backtest.walkforward import windows
from athena.errors import InvalidInput, InvalidParameter
from athena.testing.bars import sample_bars

BARS = sample_bars(2_000, seed=5)
GRID = {"fast": [3, 5, 8], "slow": [13, 21]}


def test_sweep_when_run_gives_one_row_per_combination_matching_single_runs() -> None:
    result = bt.sweep("sma_cross", BARS, GRID, cash=1_000, commission=0.001, progress=False)
    assert result.table[["fast", "slow"]].values.tolist() == [[3, 13], [3, 21], [5, 13], [5, 21], [8, 13], [8, 21]]
    single = bt.run("sma_cross", BARS, cash=1_000, commission=0.001, params={"fast": 5, "slow": 21})
    row = result.table.iloc[3]
    assert row["final_equity"] == single.metrics.final_equity
    assert row["trades"] == single.metrics.trades


def test_sweep_best_when_min_trades_filters_picks_the_maximum() -> None:
    result = bt.sweep("sma_cross", BARS, GRID, progress=False)
    best = result.best("total_return")
    top = result.table.loc[result.table["total_return"].idxmax()]
    assert best == {"fast": int(top["fast"]), "slow": int(top["slow"])}
    with pytest.raises(InvalidInput, match="no combination"):
        result.best("sharpe", min_trades=10**6)
    with pytest.raises(InvalidInput, match="did you mean 'sharpe'"):
        result.best("sharp")


def test_sweep_when_parallel_matches_serial() -> None:
    serial = bt.sweep("momentum", BARS, {"lookback": [5, 10, 20, 40]}, progress=False)
    parallel = bt.sweep("momentum", BARS, {"lookback": [5, 10, 20, 40]}, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(serial.table, parallel.table)


def test_sweep_when_custom_strategy_uses_event_engine_and_reports_progress(capsys: pytest.CaptureFixture[str]) -> None:
    from athena.strategies import BarView, Strategy

    class EveryN(Strategy):
        n: int = 5

        def on_bar(self, bar: BarView) -> None:
            if bar.i % self.n == 0:
                self.buy(size=1) if not self.position else self.close()

    result = bt.sweep(EveryN, BARS, {"n": [5, 50]}, progress=True)
    assert result.mode == "event"
    assert result.table["trades"].tolist() == [200, 20]
    assert "sweep every_n" in capsys.readouterr().err


def test_sweep_when_grid_or_mode_invalid_raises() -> None:
    with pytest.raises(InvalidParameter, match="did you mean 'fast'"):
        bt.sweep("sma_cross", BARS, {"fats": [1, 2]}, progress=False)
    with pytest.raises(InvalidInput, match="must use mode='event'"):
        bt.sweep("sma_cross", sample_bars(100, symbols=("A", "B")), GRID, mode="fast", progress=False)
    with pytest.raises(InvalidInput, match="empty"):
        bt.sweep("sma_cross", BARS, {"fast": []}, progress=False)


def test_windows_when_rolling_or_anchored_cover_test_span_contiguously() -> None:
    index = BARS.frame.index
    rolling = windows(index, 500, 300)  # type: ignore[arg-type]
    assert rolling[:2] == [(0, 500, 800), (300, 800, 1_100)]
    assert rolling[-1][2] == len(index)
    anchored = windows(index, 500, 300, anchored=True)  # type: ignore[arg-type]
    assert {w[0] for w in anchored} == {0}
    by_time = windows(index, "20D", "10D")  # type: ignore[arg-type]
    assert by_time[0] == (0, 480, 720)
    with pytest.raises(InvalidInput, match="train must be >= 1"):
        windows(index, 0, 10)  # type: ignore[arg-type]


@pytest.mark.parametrize("anchored", [False, True], ids=["rolling", "anchored"])
def test_walk_forward_when_run_stitches_out_of_sample_windows(anchored: bool) -> None:
    result = bt.walk_forward("sma_cross", BARS, GRID, train=600, test=350, anchored=anchored,
                             objective="total_return", min_trades=2, cash=1_000, commission=0.001, progress=False)
    table = result.windows
    assert len(table) == 4
    assert result.equity.index[0] == BARS.frame.index[600]
    assert result.equity.index.is_monotonic_increasing and len(result.equity) == 1_400
    growth = np.prod(1 + table["oos_return"].to_numpy())
    assert result.metrics.final_equity == pytest.approx(1_000 * growth, rel=1e-12)
    for _, row in table.iterrows():
        insample = bt.sweep("sma_cross", BARS.slice(row.train_start, row.train_end), GRID, cash=1_000,
                            commission=0.001, progress=False)
        assert {"fast": row.fast, "slow": row.slow} == insample.best("total_return", min_trades=2)
    assert result.stability["parameter"].tolist() == ["fast", "slow"]
    assert result.stability["mode_share"].between(0, 1).all()
    assert set(result.trades["window"]) <= set(table["window"])


def test_walk_forward_when_no_combination_qualifies_stays_flat() -> None:
    result = bt.walk_forward("sma_cross", BARS, GRID, train=600, test=700, min_trades=10**6, progress=False)
    assert (result.windows["status"] == "no combination qualified").all()
    assert (result.equity == 100_000.0).all()


def test_walk_forward_when_data_too_short_raises() -> None:
    with pytest.raises(InvalidInput, match="too short"):
        bt.walk_forward("sma_cross", BARS, GRID, train=5_000, test=100, progress=False)


@pytest.mark.parametrize("n_jobs", [0, -2])
def test_walk_forward_when_n_jobs_invalid_raises_before_any_dask_call(
        n_jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATHENA_DASK_ADDRESS", "tcp://127.0.0.1:9")  # nothing listens: a call there would fail
    with pytest.raises(InvalidInput, match=f"n_jobs must be >= 1 or -1, was {n_jobs}"):
        bt.walk_forward("sma_cross", BARS, GRID, train=600, test=350, n_jobs=n_jobs, progress=False)
