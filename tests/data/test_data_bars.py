"""The bar schema, validation errors, gaps, files and the synthetic generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import athena.data as data
from athena.errors import InvalidData, InvalidInput
from athena.testing.bars import bar_frame


def _csv(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = """Date,Open,High,Low,Close,Volume
2024-01-01,10,11,9,10.5,100
2024-01-02,10.5,12,10,11.5,200
2024-01-03,11.5,12,11,11.8,300
"""


def test_load_when_csv_is_valid_gives_utc_float_schema(tmp_path: Path) -> None:
    bars = data.load(_csv(tmp_path, GOOD))
    frame = bars["prices"]
    assert bars.symbols == ("prices",) and bars.timeframe == "1d"
    assert str(frame.index.tz) == "UTC" and frame.index.name == "timestamp"
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert (frame.dtypes == np.float64).all()
    assert frame["close"].tolist() == [10.5, 11.5, 11.8]


def test_save_and_load_when_round_tripped_keep_values_and_symbols(tmp_path: Path) -> None:
    bars = data.synthetic(["A", "B"], 50, timeframe="5m", seed=3)
    for name in ("bars.csv", "bars.parquet"):
        back = data.load(data.save(bars, tmp_path / name))
        assert back.symbols == ("A", "B") and back.timeframe == "5m"
        assert back.fingerprint() == bars.fingerprint()
    only = data.load(tmp_path / "bars.parquet", symbol="B")
    assert only.symbols == ("B",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("2024-01-02", "2023-12-31"), "timestamps not sorted: 2023-12-31.*row 1.*comes after 2024-01-01"),
        (GOOD.replace("2024-01-03", "2024-01-02"), "duplicate timestamp 2024-01-02"),
        (GOOD.replace("10.5,12,10,11.5", "10.5,12,10,nan"), r"missing value \(NaN\) at 2024-01-02"),
        (GOOD.replace("10.5,12,10,11.5", "10.5,inf,10,11.5"), "infinite value"),
        (GOOD.replace("10,11,9,10.5", "-10,11,9,10.5"), "price <= 0"),
        (GOOD.replace("10,11,9,10.5", "10,10.2,9,10.5"), "high below open/close at 2024-01-01.*high=10.2"),
        (GOOD.replace("10,11,9,10.5", "10,11,10.2,10.5"), "low above open/close"),
        (GOOD.replace(",100", ",-1"), "negative volume"),
        (GOOD.replace("10.5,12,10,11.5", "10.5,12,10,abc"), "close is not a number at row 1: 'abc'"),
        (GOOD.replace("2024-01-02", "yesterday"), "unparseable timestamp"),
        (GOOD.replace("Close", "Last"), "missing column.*close"),
        (GOOD.replace("Date", "When"), "no timestamp column"),
    ],
)
def test_load_when_data_is_bad_raises_invalid_data_naming_it(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InvalidData, match=message):
        data.load(_csv(tmp_path, text))


def test_load_when_file_missing_or_unknown_type_raises(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not found"):
        data.load(tmp_path / "nope.csv")
    with pytest.raises(InvalidInput, match="unknown bar file type '.xlsx'"):
        data.load(_csv(tmp_path, GOOD, "prices.xlsx"))
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(InvalidData, match="cannot read parquet"):
        data.load(broken)


def test_load_when_epoch_milliseconds_and_long_format_reads_symbols(tmp_path: Path) -> None:
    text = "time,symbol,open,high,low,close\n" + "\n".join(
        f"{1_700_000_000_000 + k * 60_000},{s},1,2,0.5,1.5" for k in range(3) for s in ("X", "Y")
    )
    bars = data.load(_csv(tmp_path, text))
    assert bars.symbols == ("X", "Y") and bars.timeframe == "1m"
    assert bars["X"].index[0] == pd.Timestamp(1_700_000_000_000, unit="ms", tz="UTC")
    assert (bars["Y"]["volume"] == 0).all()


def test_gaps_when_bars_missing_are_reported_not_refused() -> None:
    frame = bar_frame([1.0, 2.0, 3.0, 4.0], timeframe="1h").drop(index=[pd.Timestamp("2024-01-01 01:00", tz="UTC"),
                                                                        pd.Timestamp("2024-01-01 02:00", tz="UTC")])
    bars = data.validate(frame, symbol="Z", timeframe="1h")
    gaps = data.gaps(bars)
    assert gaps.to_dict("records") == [{
        "symbol": "Z", "after": pd.Timestamp("2024-01-01 00:00", tz="UTC"),
        "before": pd.Timestamp("2024-01-01 03:00", tz="UTC"), "missing": 2,
    }]


def test_bars_when_used_as_mapping_slice_and_long_frame() -> None:
    bars = data.synthetic(["A", "B"], 10, timeframe="1h", seed=1)
    assert len(bars) == 2 and list(bars) == ["A", "B"] and bars.n_bars == 20
    part = bars.slice("2024-01-01 02:00", "2024-01-01 05:00")
    assert len(part["A"]) == 3
    long = bars.to_long()
    assert long["symbol"].tolist()[:4] == ["A", "B", "A", "B"]
    with pytest.raises(InvalidInput, match="unknown symbol 'C'"):
        bars["C"]
    with pytest.raises(InvalidInput, match="2 symbols"):
        _ = bars.frame
    assert "A: 10 bars" in repr(bars)


def test_bars_when_source_frame_changes_keep_their_copy() -> None:
    frame = bar_frame([1.0, 2.0, 3.0])
    bars = data.validate(frame)
    frame.loc[frame.index[0], "close"] = 99.0
    assert bars.frame["close"].iloc[0] == 1.0


def test_synthetic_when_seeded_is_reproducible_correlated_and_valid() -> None:
    first = data.synthetic(["A", "B", "C"], 5_000, timeframe="1h", seed=42, correlation=0.8)
    again = data.synthetic(["A", "B", "C"], 5_000, timeframe="1h", seed=42, correlation=0.8)
    other = data.synthetic(["A", "B", "C"], 5_000, timeframe="1h", seed=43, correlation=0.8)
    assert first.fingerprint() == again.fingerprint() != other.fingerprint()
    rets = pd.DataFrame({s: np.log(first[s]["close"]).diff() for s in first}).dropna()
    corr = rets.corr().to_numpy()[np.triu_indices(3, 1)]
    assert (corr > 0.6).all()
    assert first["A"].index.freq is None or first["A"].index[1] - first["A"].index[0] == pd.Timedelta("1h")
    frame = first["A"]
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame["open"].iloc[1:].to_numpy() == frame["close"].iloc[:-1].to_numpy()).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"periods": 1}, "periods must be >= 2"),
        ({"timeframe": "1y"}, "timeframe must look like"),
        ({"symbols": ["A", "A"]}, "distinct"),
        ({"symbols": 3, "correlation": -0.9}, "correlation must be in"),
        ({"volatility": -1.0}, "volatility"),
    ],
)
def test_synthetic_when_arguments_bad_raises(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        data.synthetic(**kwargs)  # type: ignore[arg-type]
