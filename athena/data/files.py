"""CSV and Parquet bar files: load into ``Bars``, save from ``Bars``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from athena.data.bars import Bars
from athena.data.validation import frames_from, infer_timeframe
from athena.errors import InvalidData, InvalidInput

__all__ = ["load", "save"]

_FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}


def load(path: str | Path, symbol: str | None = None, timeframe: str | None = None) -> Bars:
    """Load and validate bars from a CSV or Parquet file.

    The file holds one row per bar: a time column (``timestamp``, ``time``, ``datetime``, ``date``
    or epoch seconds/milliseconds), ``open, high, low, close`` and optionally ``volume`` and
    ``symbol`` (long format, several symbols in one file). Column names are case-insensitive and
    naive times are read as UTC.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv``/``.txt`` or ``.parquet``/``.pq`` file.
    symbol : str, optional
        Without a ``symbol`` column: the symbol to give the bars (default: the file stem).
        With one: keep only that symbol.
    timeframe : str, optional
        Defaults to the median spacing of the timestamps.

    Returns
    -------
    Bars
        The validated bars.

    Raises
    ------
    InvalidInput
        When the file is missing or its extension unknown.
    InvalidData
        When the file cannot be parsed or its data breaks the bar schema.
    """
    file = Path(path)
    kind = _FORMATS.get(file.suffix.lower())
    if kind is None:
        raise InvalidInput(
            f"unknown bar file type {file.suffix!r} for {file}; use .csv or .parquet"
        )
    if not file.is_file():
        raise InvalidInput(f"bar file not found: {file}")
    try:
        raw = pd.read_csv(file, float_precision="round_trip") if kind == "csv" else pd.read_parquet(file)
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidData(f"{file}: cannot read {kind} file: {exc}") from None
    has_symbol = any(str(c).strip().lower() == "symbol" for c in raw.columns)
    frames = frames_from(raw, symbol=symbol if has_symbol else symbol or file.stem, source=str(file))
    return Bars(frames, timeframe or infer_timeframe(frames))


def save(bars: Bars, path: str | Path) -> Path:
    """Write ``bars`` to a CSV or Parquet file in long format, readable by :func:`load`.

    Parameters
    ----------
    bars : Bars
        The bars to write.
    path : str or pathlib.Path
        Target file; the extension chooses the format.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    InvalidInput
        When the extension is not a known bar file type.
    """
    file = Path(path)
    kind = _FORMATS.get(file.suffix.lower())
    if kind is None:
        raise InvalidInput(f"unknown bar file type {file.suffix!r} for {file}; use .csv or .parquet")
    long = bars.to_long().reset_index()
    if kind == "csv":
        long.to_csv(file, index=False)
    else:
        long.to_parquet(file, index=False)
    return file
