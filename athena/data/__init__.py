"""Market data: the bar schema, validation, CSV/Parquet files and a seeded synthetic generator.

Multi-symbol data is a :class:`Bars`: a frozen, read-only mapping ``symbol -> DataFrame`` whose
frames all follow the one bar schema (UTC ``DatetimeIndex`` named ``timestamp``, float64 columns
``open, high, low, close, volume``) and share one ``timeframe``. One symbol is the same type with
one entry (``bars.frame`` returns it).
"""

from athena.data.bars import COLUMNS, Bars, parse_timeframe, timeframe_of
from athena.data.ccxt_history import fetch
from athena.data.files import load, save
from athena.data.synthetic import synthetic
from athena.data.validation import gaps, validate

__all__ = [
    "COLUMNS",
    "Bars",
    "fetch",
    "gaps",
    "load",
    "parse_timeframe",
    "save",
    "synthetic",
    "timeframe_of",
    "validate",
]
