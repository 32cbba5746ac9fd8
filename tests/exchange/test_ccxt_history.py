"""History download through the real ccxt client: pagination, the Parquet cache, clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from athena.data import Bars
from athena.data.ccxt_history import fetch
from athena.errors import InvalidData, InvalidInput
from athena.testing.fake_exchange import FakeExchange

KLINES = "GET /api/v3/klines"


def _fetch(exchange: Any, cache: Path, since: str, until: str, symbol: str = "BTC/USDT", timeframe: str = "1h") -> Bars:
    return fetch("binance", symbol, timeframe, since, until, cache_dir=cache, exchange=exchange, progress=False)


def test_fetch_when_range_exceeds_one_page_paginates_into_validated_bars(
    fake: FakeExchange, exchange: Any, tmp_path: Path
) -> None:
    bars = _fetch(exchange, tmp_path, "2024-01-01", "2024-03-01")

    frame = bars["BTC/USDT"]
    assert bars.timeframe == "1h"
    assert len(frame) == 60 * 24
    assert frame.index[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert frame.index[-1] == pd.Timestamp("2024-02-29 23:00", tz="UTC")
    assert frame.index.to_series().diff().dropna().eq(pd.Timedelta(hours=1)).all()
    assert fake.requests(KLINES) == 2


def test_fetch_when_range_is_cached_makes_no_kline_request(fake: FakeExchange, exchange: Any, tmp_path: Path) -> None:
    first = _fetch(exchange, tmp_path, "2024-01-01", "2024-02-01")
    before = fake.requests(KLINES)

    again = _fetch(exchange, tmp_path, "2024-01-01", "2024-02-01")
    inside = _fetch(exchange, tmp_path, "2024-01-10", "2024-01-12")

    assert fake.requests(KLINES) == before
    assert again.fingerprint() == first.fingerprint()
    assert len(inside["BTC/USDT"]) == 48
    assert (tmp_path / "binance" / "BTC-USDT" / "1h.parquet").is_file()


def test_fetch_when_range_is_extended_downloads_only_the_missing_part(
    fake: FakeExchange, exchange: Any, tmp_path: Path
) -> None:
    _fetch(exchange, tmp_path, "2024-01-01", "2024-01-20")
    before = fake.requests(KLINES)

    bars = _fetch(exchange, tmp_path, "2024-01-01", "2024-01-25")

    assert fake.requests(KLINES) == before + 1
    assert len(bars["BTC/USDT"]) == 24 * 24
    fresh = _fetch(exchange, tmp_path / "fresh", "2024-01-01", "2024-01-25")
    assert fresh.fingerprint() == bars.fingerprint()


def test_fetch_when_symbol_is_unknown_names_it_with_suggestions(exchange: Any, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"unknown symbol 'BTC/USDC' on binance; did you mean BTC/USDT"):
        _fetch(exchange, tmp_path, "2024-01-01", "2024-01-02", symbol="BTC/USDC")


def test_fetch_when_timeframe_is_unknown_lists_the_offered_ones(exchange: Any, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"unknown timeframe '7m' on binance; it offers 1s, 1m"):
        _fetch(exchange, tmp_path, "2024-01-01", "2024-01-02", timeframe="7m")


def test_fetch_when_range_precedes_the_history_raises_no_data(exchange: Any, tmp_path: Path) -> None:
    with pytest.raises(InvalidData, match=r"no 1h bars for BTC/USDT on binance from 2023-01-01"):
        _fetch(exchange, tmp_path, "2023-01-01", "2023-01-05")


def test_fetch_when_since_is_not_before_until_raises(exchange: Any, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="since must be before until"):
        _fetch(exchange, tmp_path, "2024-01-05", "2024-01-05")
