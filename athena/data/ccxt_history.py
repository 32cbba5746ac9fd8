"""Download OHLCV history through ccxt into validated ``Bars``, with a local Parquet cache.

The cache holds one Parquet file per (exchange, symbol, timeframe) and a JSON list of the time
ranges already downloaded, so a range with no bars (before a listing) is not asked for again. Only
closed bars are kept: the bar still forming at the exchange's current time is never cached.
ccxt is imported only when a download needs it.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from athena.data.bars import COLUMNS, Bars, parse_timeframe
from athena.data.validation import validate
from athena.errors import InvalidData, InvalidInput, NotAllowed, Unavailable

__all__ = ["fetch"]

_PAGE = 1000
_Range = tuple[int, int]


def fetch(
    exchange_id: str,
    symbol: str,
    timeframe: str,
    since: pd.Timestamp | str | int,
    until: pd.Timestamp | str | int,
    *,
    cache_dir: str | Path,
    exchange: Any = None,
    progress: bool = True,
) -> Bars:
    """Return the bars of ``symbol`` with ``since <= timestamp < until``, downloading only what the cache lacks.

    Parameters
    ----------
    exchange_id : str
        A ccxt exchange id, e.g. ``"binance"``.
    symbol : str
        A unified ccxt symbol, e.g. ``"BTC/USDT"``.
    timeframe : str
        A bar timeframe the exchange offers, e.g. ``"1h"``.
    since, until : pandas.Timestamp, str or int
        Bounds of the range; naive times are UTC and integers are epoch milliseconds.
    cache_dir : str or pathlib.Path
        Root of the Parquet cache.
    exchange : ccxt.Exchange, optional
        A configured client (tests pass one pointed at a local fake); by default a public
        ``ccxt.<exchange_id>`` client is created and closed again.
    progress : bool
        Show a tqdm progress bar while downloading.

    Returns
    -------
    Bars
        The validated bars, symbol named as given, timeframe as given.

    Raises
    ------
    InvalidInput
        For an unknown exchange, symbol or timeframe, or ``since >= until``.
    InvalidData
        When the range holds no bars or the exchange's bars break the bar schema.
    Unavailable
        When the exchange cannot be reached.
    """
    step = int(parse_timeframe(timeframe).total_seconds() * 1000)
    start, end = _millis(since, "since"), _millis(until, "until")
    if start >= end:
        raise InvalidInput(f"since must be before until, was since={_iso(start)} until={_iso(end)}")
    client = exchange if exchange is not None else _client(exchange_id)
    try:
        _check(client, exchange_id, symbol, timeframe)
        cache = _Cache(Path(cache_dir), exchange_id, symbol, timeframe)
        closed_until = min(end, _call(client.milliseconds) // step * step)
        wanted = (start // step * step, closed_until)
        missing = _subtract(wanted, cache.ranges) if wanted[0] < wanted[1] else []
        if missing:
            rows = _download(client, symbol, timeframe, step, missing, progress)
            cache.add(rows, missing)
    finally:
        if exchange is None:
            client.session.close()
    frame = cache.read(start, end)
    if frame.empty:
        raise InvalidData(f"no {timeframe} bars for {symbol} on {exchange_id} from {_iso(start)} to {_iso(end)}")
    return validate(frame, symbol=symbol, timeframe=timeframe)


def _millis(value: pd.Timestamp | str | int, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InvalidInput(f"{name} must be a timestamp, was {value!r}") from None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.value // 1_000_000)


def _iso(ms: int) -> str:
    return pd.Timestamp(ms, unit="ms", tz="UTC").isoformat()


def _client(exchange_id: str) -> Any:
    import ccxt

    if exchange_id not in ccxt.exchanges:
        near = difflib.get_close_matches(exchange_id, ccxt.exchanges, n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise InvalidInput(f"unknown exchange {exchange_id!r}{hint}")
    return getattr(ccxt, exchange_id)({"enableRateLimit": True})


def _call(method: Any, *args: Any, **kwargs: Any) -> Any:
    import ccxt

    try:
        return method(*args, **kwargs)
    except ccxt.AuthenticationError as exc:
        raise NotAllowed(f"exchange refused the credentials: {exc}") from exc
    except (ccxt.NetworkError, ccxt.ExchangeNotAvailable, ccxt.OperationFailed) as exc:
        raise Unavailable(f"exchange unavailable, retry later: {type(exc).__name__}: {exc}") from exc
    except ccxt.BadSymbol as exc:
        raise InvalidInput(f"exchange refused the symbol: {exc}") from exc
    except ccxt.BaseError as exc:
        raise InvalidData(f"exchange error: {type(exc).__name__}: {exc}") from exc


def _check(client: Any, exchange_id: str, symbol: str, timeframe: str) -> None:
    markets = _call(client.load_markets)
    if symbol not in markets:
        near = difflib.get_close_matches(symbol, list(markets), n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise InvalidInput(f"unknown symbol {symbol!r} on {exchange_id}{hint}")
    if not client.has.get("fetchOHLCV"):
        raise InvalidInput(f"{exchange_id} offers no OHLCV history")
    offered = dict(client.timeframes or {})
    if timeframe not in offered:
        raise InvalidInput(f"unknown timeframe {timeframe!r} on {exchange_id}; it offers {', '.join(offered)}")


def _subtract(wanted: _Range, covered: list[_Range]) -> list[_Range]:
    gaps: list[_Range] = []
    cursor, end = wanted
    for lo, hi in sorted(covered):
        if hi <= cursor or lo >= end:
            continue
        if lo > cursor:
            gaps.append((cursor, lo))
        cursor = max(cursor, hi)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def _merge(ranges: list[_Range]) -> list[_Range]:
    merged: list[_Range] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _pages(client: Any, symbol: str, timeframe: str, step: int, lo: int, hi: int) -> Iterator[list[list[Any]]]:
    cursor = lo
    while cursor < hi:
        limit = min(_PAGE, -(-(hi - cursor) // step))
        page = [row for row in _call(client.fetch_ohlcv, symbol, timeframe, since=cursor, limit=limit)
                if cursor <= row[0] < hi]
        if not page:
            return
        yield page
        cursor = int(page[-1][0]) + step


def _download(
    client: Any, symbol: str, timeframe: str, step: int, missing: list[_Range], progress: bool
) -> list[list[Any]]:
    from tqdm.auto import tqdm

    total = sum(-(-(hi - lo) // step) for lo, hi in missing)
    rows: list[list[Any]] = []
    with tqdm(total=total, desc=f"{symbol} {timeframe}", unit="bar", disable=not progress, leave=False) as bar:
        for lo, hi in missing:
            for page in _pages(client, symbol, timeframe, step, lo, hi):
                rows.extend(page)
                bar.update(len(page))
    return rows


class _Cache:
    def __init__(self, root: Path, exchange_id: str, symbol: str, timeframe: str) -> None:
        folder = root / exchange_id / symbol.replace("/", "-").replace(":", "_")
        self.data = folder / f"{timeframe}.parquet"
        self.index = folder / f"{timeframe}.ranges.json"
        self.ranges: list[_Range] = []
        if self.index.is_file():
            try:
                self.ranges = [(int(lo), int(hi)) for lo, hi in json.loads(self.index.read_text())["ranges"]]
            except (ValueError, KeyError, TypeError):
                raise InvalidData(f"cache index {self.index} is corrupt; delete it to download again") from None

    def read(self, start: int, end: int) -> pd.DataFrame:
        if not self.data.is_file():
            return pd.DataFrame(columns=["timestamp", *COLUMNS])
        frame = pd.read_parquet(self.data)
        return frame[(frame["timestamp"] >= start) & (frame["timestamp"] < end)].reset_index(drop=True)

    def add(self, rows: list[list[Any]], covered: list[_Range]) -> None:
        new = pd.DataFrame([row[:6] for row in rows], columns=["timestamp", *COLUMNS])
        new = new.astype({"timestamp": "int64", **{c: "float64" for c in COLUMNS}})
        old = pd.read_parquet(self.data) if self.data.is_file() else new.iloc[:0]
        frame = pd.concat([old, new]).drop_duplicates("timestamp", keep="last").sort_values("timestamp")
        self.data.parent.mkdir(parents=True, exist_ok=True)
        _replace(self.data, lambda tmp: frame.to_parquet(tmp, index=False))
        self.ranges = _merge(self.ranges + covered)
        text = json.dumps({"ranges": self.ranges})
        _replace(self.index, lambda tmp: tmp.write_text(text))


def _replace(path: Path, write: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)
