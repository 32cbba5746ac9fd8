"""Sweep chunks and walk-forward windows on a Dask cluster (``ATHENA_DASK_ADDRESS``).

The data and the strategy are sent to the workers once per call; each task computes the same
rows the local process pool would, so results are identical wherever they ran. Workers need the
``athena`` package (and the strategy's module) importable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from athena.backtest.config import BacktestConfig
from athena.config import dask_client
from athena.data.bars import Bars
from athena.strategies.base import Strategy

__all__ = ["cluster_map", "sweep_chunks"]

T = TypeVar("T")


@dataclass(frozen=True)
class _Shared:
    """What every chunk of one sweep needs, scattered to the workers once."""

    cls: type[Strategy]
    bars: Bars
    config: BacktestConfig
    fast: bool


def _chunk(shared: _Shared, combos: list[dict[str, object]]) -> list[dict[str, object]]:
    from athena.backtest.sweep import _row
    from athena.strategies.indicators import Indicators

    ind = Indicators(shared.bars.frame) if shared.fast else None
    return [_row(shared.cls, shared.bars, shared.config, p, shared.fast, ind) for p in combos]


def sweep_chunks(address: str, cls: type[Strategy], bars: Bars, config: BacktestConfig, fast: bool,
                 chunks: Sequence[list[dict[str, object]]]) -> Iterator[list[dict[str, object]]]:
    """Yield the sweep rows of each chunk of combinations, in order, computed on the cluster."""
    with dask_client(address) as client:
        [shared] = client.scatter([_Shared(cls, bars, config, fast)], broadcast=True)
        futures = [client.submit(_chunk, shared, chunk, pure=False) for chunk in chunks]
        for future in futures:
            yield future.result()


def cluster_map(address: str, fn: Callable[..., T], calls: Sequence[tuple[Any, ...]]) -> list[T]:
    """Return ``[fn(*args) for args in calls]``, each call a task on the cluster."""
    with dask_client(address) as client:
        futures = [client.submit(fn, *args, pure=False) for args in calls]
        return [future.result() for future in futures]
