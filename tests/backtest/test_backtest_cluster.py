"""Sweeps and walk-forward windows on a real Dask cluster give exactly the local results."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

import athena.backtest as bt
from athena.config import dask_client
from athena.testing.bars import sample_bars
from athena.testing.dask import dask_cluster

pytestmark = pytest.mark.slow

BARS = sample_bars(2_000, seed=5)
GRID = {"fast": [3, 5, 8], "slow": [13, 21, 34, 55]}


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with dask_cluster() as address:
        yield address


def executed(address: str) -> int:
    with dask_client(address) as client:
        return sum(client.run(lambda dask_worker: dask_worker.state.executed_count).values())


def test_sweep_when_dask_address_is_set_runs_chunks_there_with_the_local_rows(
        cluster: str, monkeypatch: pytest.MonkeyPatch) -> None:
    local = bt.sweep("sma_cross", BARS, GRID, commission=0.001, n_jobs=1, progress=False)
    monkeypatch.setenv("ATHENA_DASK_ADDRESS", cluster)
    before = executed(cluster)
    remote = bt.sweep("sma_cross", BARS, GRID, commission=0.001, n_jobs=1, progress=False)
    assert executed(cluster) - before == 2  # 12 combinations in chunks of 8
    pd.testing.assert_frame_equal(remote.table, local.table)
    assert remote.mode == local.mode == "fast"


def test_walk_forward_when_dask_address_is_set_optimises_each_window_there_with_the_local_result(
        cluster: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kwargs = dict(train=600, test=350, objective="total_return", min_trades=2, cash=1_000, commission=0.001,
                  progress=False)
    local = bt.walk_forward("sma_cross", BARS, GRID, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setenv("ATHENA_DASK_ADDRESS", cluster)
    before = executed(cluster)
    remote = bt.walk_forward("sma_cross", BARS, GRID, **kwargs)  # type: ignore[arg-type]
    assert executed(cluster) - before == len(local.windows) == 4
    pd.testing.assert_frame_equal(remote.windows, local.windows)
    pd.testing.assert_series_equal(remote.equity, local.equity)
    assert remote.metrics == local.metrics
