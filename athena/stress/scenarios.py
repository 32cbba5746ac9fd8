"""Stress scenarios: the value, its YAML form with validation, the shipped library and name lookup.

A scenario's YAML (the library file and user files share it)::

    scenarios:
      - name: my_crash                    # lower_snake_case, unique
        title: My crash
        kind: user                        # historical | synthetic | user (default user)
        description: What happened.
        source: Where the numbers come from.
        window: {start: 2020-02-19, end: 2020-03-23}
        measure: close                    # close (close to close) | trough (lowest low in the window)
        shocks:                           # simple returns, >= -1
          default: -0.10                  # any symbol not matched below
          asset_classes: {equity: -0.30, crypto: -0.40}
          symbols: {BTC: -0.37, EURCHF: -0.17}
        volatility_multiplier: 2.0        # > 0
        correlation: 1.0                  # every pairwise correlation, in [-1, 1]
        liquidity: {spread_bps: 50, slippage_bps: 100}
        gap_through_stops: true           # stops fill at the shocked price, not at the stop
        outage_minutes: 30                # no fills (stops included) for that long
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from difflib import get_close_matches
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from athena.data.bars import Bars
from athena.errors import InvalidInput

__all__ = [
    "ASSET_CLASSES",
    "InvalidScenario",
    "Scenario",
    "UnknownScenario",
    "classify",
    "from_history",
    "get",
    "library",
    "load",
    "parse",
]

ASSET_CLASSES: tuple[str, ...] = ("equity", "crypto", "fx", "commodity", "rates")
_KINDS = ("historical", "synthetic", "user")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_STABLE = frozenset({"USD", "USDT", "USDC", "BUSD", "DAI", "TUSD", "FDUSD"})
_FIAT = frozenset({"USD", "EUR", "JPY", "GBP", "CHF", "AUD", "CAD", "NZD", "SEK", "NOK", "DKK", "CNH", "HKD",
                   "SGD", "MXN", "ZAR", "TRY", "PLN", "CZK", "HUF"})
_CRYPTO = frozenset({"BTC", "XBT", "ETH", "SOL", "BNB", "XRP", "ADA", "DOGE", "DOT", "AVAX", "MATIC", "LINK", "LTC",
                     "BCH", "TRX", "LUNA", "UST", "FTT", "ATOM", "NEAR", "UNI"}) | _STABLE - {"USD"}
_QUOTES = tuple(sorted(_STABLE, key=len, reverse=True))
_SPLIT = re.compile(r"[/\-_:]")
_FIELDS = ("name", "title", "kind", "description", "source", "window", "shocks", "volatility_multiplier",
           "correlation", "liquidity", "gap_through_stops", "outage_minutes", "measure")
_MEASURES = ("close", "trough")


class UnknownScenario(InvalidInput):
    """No scenario has that name; the message suggests the nearest names."""


class InvalidScenario(InvalidInput):
    """A scenario definition is malformed; the message names the file, scenario and field."""


def _key(symbol: str) -> str:
    return _SPLIT.sub("", symbol.strip().upper())


@lru_cache(maxsize=65_536)
def _pair(symbol: str) -> tuple[str, str] | None:
    parts = [p for p in _SPLIT.split(symbol.strip().upper()) if p]
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 1 and len(parts[0]) == 6 and parts[0][:3] in _FIAT and parts[0][3:] in _FIAT:
        return parts[0][:3], parts[0][3:]
    for quote in _QUOTES:
        if len(parts) == 1 and parts[0].endswith(quote) and parts[0][: -len(quote)] in _CRYPTO:
            return parts[0][: -len(quote)], quote
    return None


@lru_cache(maxsize=65_536)
def classify(symbol: str) -> str:
    """Return the asset class a symbol most likely belongs to: ``crypto``, ``fx`` or ``equity``.

    Parameters
    ----------
    symbol : str
        For example ``"BTC/USDT"``, ``"EURCHF"``, ``"EUR/CHF"`` or ``"AAPL"``.

    Returns
    -------
    str
        ``crypto`` for known coins or a stablecoin quote, ``fx`` for two fiat currencies, otherwise
        ``equity``. Pass explicit asset classes to a portfolio where this guess is wrong.
    """
    pair = _pair(symbol)
    if pair is not None:
        base, quote = pair
        if base in _FIAT and quote in _FIAT:
            return "fx"
        if base in _CRYPTO or quote in _CRYPTO:
            return "crypto"
    return "crypto" if _key(symbol) in _CRYPTO else "equity"


@dataclass(frozen=True)
class Scenario:
    """A stress scenario: price shocks plus volatility, correlation, liquidity and execution stresses.

    Attributes
    ----------
    name : str
        Lower-case identifier, e.g. ``covid_crash_2020``.
    title, description, source : str
        For people; ``source`` cites where the numbers come from.
    kind : str
        ``historical``, ``synthetic`` or ``user``.
    start, end : datetime.date or None
        The historical window the shocks were measured over.
    measure : str
        How the shocks were measured over the window, and how :func:`from_history` re-measures them:
        ``close`` (last close of the window over the close of its start day) or ``trough`` (lowest low
        inside the window over the close of its start day, for intraday crashes).
    symbol_shocks : mapping of str to float
        Simple return per symbol; keys are matched ignoring case and ``/ - _ :`` separators, and a
        coin's shock applies to its pairs against USD and stablecoins.
    class_shocks : mapping of str to float
        Simple return per asset class (see :data:`ASSET_CLASSES`).
    default_shock : float or None
        Return of a symbol matched by nothing else; None leaves it unshocked (and reported so).
    volatility_multiplier : float
        Factor on volatilities for the stressed VaR.
    correlation : float or None
        Pairwise correlation for the stressed VaR; None keeps the estimated ones.
    spread_bps, slippage_bps : float
        Liquidity stress: the cost to exit is half the spread plus the slippage on the notional.
    gap_through_stops : bool
        Stops fill at the shocked price instead of the stop price.
    outage_minutes : float
        An exchange outage: no fills for that long, so stops cannot protect either.
    """

    name: str
    title: str
    kind: str = "user"
    description: str = ""
    source: str = ""
    start: date | None = None
    end: date | None = None
    measure: str = "close"
    symbol_shocks: Mapping[str, float] = field(default_factory=dict)
    class_shocks: Mapping[str, float] = field(default_factory=dict)
    default_shock: float | None = None
    volatility_multiplier: float = 1.0
    correlation: float | None = None
    spread_bps: float = 0.0
    slippage_bps: float = 0.0
    gap_through_stops: bool = False
    outage_minutes: float = 0.0
    _keyed: Mapping[str, float] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check(self)
        object.__setattr__(self, "_keyed", {_key(k): float(v) for k, v in self.symbol_shocks.items()})

    def shock_for(self, symbol: str, asset_class: str | None = None) -> float | None:
        """Return the price return the scenario applies to ``symbol``, or None when it has none.

        Parameters
        ----------
        symbol : str
            The symbol.
        asset_class : str, optional
            Its asset class; guessed with :func:`classify` when omitted.

        Returns
        -------
        float or None
            The symbol's own shock, else the shock of its pair's legs (a coin quoted in another coin
            moves by ``(1 + base) / (1 + quote) - 1``), else its asset class's, else the default.
        """
        own = self._keyed
        if _key(symbol) in own:
            return own[_key(symbol)]
        pair = _pair(symbol)
        if pair is not None:
            base, quote = pair
            quote_move = own.get(quote, 0.0 if quote in _STABLE else None)
            if base in own and quote_move == 0.0:
                return own[base]
            if base in own and quote_move is not None:
                return (1.0 + own[base]) / (1.0 + quote_move) - 1.0
        group = asset_class or classify(symbol)
        if group in self.class_shocks:
            return self.class_shocks[group]
        return self.default_shock

    @property
    def stops_hold(self) -> bool:
        """Whether stop orders still fill at their stop price in this scenario."""
        return not self.gap_through_stops and self.outage_minutes == 0.0

    def with_shocks(self, symbols: Mapping[str, float]) -> Scenario:
        """Return a copy whose symbol shocks are updated with ``symbols``.

        Parameters
        ----------
        symbols : mapping of str to float
            Simple return per symbol; they replace the scenario's own for the same symbols.

        Returns
        -------
        Scenario
            The updated copy.
        """
        return replace(self, symbol_shocks={**self.symbol_shocks, **{str(k): float(v) for k, v in symbols.items()}})

    def to_dict(self) -> dict[str, Any]:
        """Return the scenario in its YAML form."""
        out: dict[str, Any] = {"name": self.name, "title": self.title, "kind": self.kind}
        if self.description:
            out["description"] = self.description
        if self.source:
            out["source"] = self.source
        if self.start is not None and self.end is not None:
            out["window"] = {"start": self.start.isoformat(), "end": self.end.isoformat()}
            out["measure"] = self.measure
        shocks: dict[str, Any] = {}
        if self.default_shock is not None:
            shocks["default"] = self.default_shock
        if self.class_shocks:
            shocks["asset_classes"] = dict(self.class_shocks)
        if self.symbol_shocks:
            shocks["symbols"] = dict(self.symbol_shocks)
        out["shocks"] = shocks
        out["volatility_multiplier"] = self.volatility_multiplier
        if self.correlation is not None:
            out["correlation"] = self.correlation
        out["liquidity"] = {"spread_bps": self.spread_bps, "slippage_bps": self.slippage_bps}
        out["gap_through_stops"] = self.gap_through_stops
        out["outage_minutes"] = self.outage_minutes
        return out


def _check(s: Scenario) -> None:
    def fail(what: str) -> None:
        raise InvalidScenario(f"scenario {s.name!r}: {what}")

    if not _NAME.match(s.name):
        raise InvalidScenario(f"scenario name must be lower_snake_case (a-z, 0-9, _), was {s.name!r}")
    if s.kind not in _KINDS:
        fail(f"kind must be one of {', '.join(_KINDS)}, was {s.kind!r}")
    if s.measure not in _MEASURES:
        fail(f"measure must be one of {', '.join(_MEASURES)}, was {s.measure!r}")
    shocks = [(f"shocks.symbols.{k}", v) for k, v in s.symbol_shocks.items()]
    shocks += [(f"shocks.asset_classes.{k}", v) for k, v in s.class_shocks.items()]
    if s.default_shock is not None:
        shocks.append(("shocks.default", s.default_shock))
    for where, value in shocks:
        if not math.isfinite(value) or value < -1.0:
            fail(f"{where} must be a return >= -1 (a price cannot go below zero), was {value}")
    if not math.isfinite(s.volatility_multiplier) or s.volatility_multiplier <= 0:
        fail(f"volatility_multiplier must be > 0, was {s.volatility_multiplier}")
    if s.correlation is not None and not -1.0 <= s.correlation <= 1.0:
        fail(f"correlation must be within [-1, 1], was {s.correlation}")
    for name in ("spread_bps", "slippage_bps", "outage_minutes"):
        value = getattr(s, name)
        if not math.isfinite(value) or value < 0:
            fail(f"{name} must be >= 0, was {value}")
    if (s.start is None) != (s.end is None) or (s.start is not None and s.end is not None and s.start > s.end):
        fail(f"window needs start <= end, was start={s.start} end={s.end}")


class _Reader:
    def __init__(self, origin: str, name: str) -> None:
        self.where = f"{origin}: scenario {name!r}"

    def fail(self, path: str, what: str) -> InvalidScenario:
        return InvalidScenario(f"{self.where}: {path} {what}")

    def mapping(self, value: object, path: str, allowed: Sequence[str] | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be a mapping, was {type(value).__name__}")
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    near = get_close_matches(str(key), allowed, n=1)
                    hint = f"; did you mean {near[0]!r}?" if near else f"; allowed: {', '.join(allowed)}"
                    raise self.fail(f"{path}.{key}" if path else str(key), f"is not a known field{hint}")
        return {str(k): v for k, v in value.items()}

    def number(self, value: object, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"must be a number, was {value!r}")
        return float(value)

    def text(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"must be text, was {value!r}")
        return value

    def day(self, value: object, path: str) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(path, f"must be a date YYYY-MM-DD, was {value!r}") from None

    def numbers(self, value: object, path: str, allowed: Sequence[str] | None = None) -> dict[str, float]:
        return {k: self.number(v, f"{path}.{k}") for k, v in self.mapping(value, path, allowed).items()}


def parse(data: Mapping[str, Any], origin: str = "<scenario>") -> Scenario:
    """Return the scenario described by one YAML mapping, validated.

    Parameters
    ----------
    data : mapping
        One entry of the ``scenarios`` list (see the module docstring).
    origin : str
        Where it came from, for error messages (a file name).

    Returns
    -------
    Scenario
        The scenario.

    Raises
    ------
    InvalidScenario
        Naming the origin, the scenario and the field that is wrong; unknown fields get a "did you
        mean" suggestion.
    """
    name = data.get("name") if isinstance(data, Mapping) else None
    if not isinstance(name, str) or not name:
        raise InvalidScenario(f"{origin}: every scenario needs a name (text), got {data!r:.80}")
    r = _Reader(origin, name)
    fields = r.mapping(data, "", _FIELDS)
    shocks = r.mapping(fields.get("shocks", {}), "shocks", ("default", "asset_classes", "symbols"))
    classes = r.numbers(shocks.get("asset_classes", {}), "shocks.asset_classes", ASSET_CLASSES)
    symbols = r.numbers(shocks.get("symbols", {}), "shocks.symbols")
    default = r.number(shocks["default"], "shocks.default") if shocks.get("default") is not None else None
    liquidity = r.numbers(fields.get("liquidity", {}), "liquidity", ("spread_bps", "slippage_bps"))
    start = end = None
    if "window" in fields:
        window = r.mapping(fields["window"], "window", ("start", "end"))
        if "start" not in window or "end" not in window:
            raise r.fail("window", "needs both start and end")
        start, end = r.day(window["start"], "window.start"), r.day(window["end"], "window.end")
    gap = fields.get("gap_through_stops", False)
    if not isinstance(gap, bool):
        raise r.fail("gap_through_stops", f"must be true or false, was {gap!r}")
    correlation = fields.get("correlation")
    try:
        return Scenario(
            name=name, title=r.text(fields.get("title", name), "title"),
            kind=r.text(fields.get("kind", "user"), "kind"),
            description=r.text(fields.get("description", ""), "description").strip(),
            source=r.text(fields.get("source", ""), "source").strip(), start=start, end=end,
            measure=r.text(fields.get("measure", "close"), "measure"),
            symbol_shocks=symbols, class_shocks=classes, default_shock=default,
            volatility_multiplier=r.number(fields.get("volatility_multiplier", 1.0), "volatility_multiplier"),
            correlation=None if correlation is None else r.number(correlation, "correlation"),
            spread_bps=liquidity.get("spread_bps", 0.0), slippage_bps=liquidity.get("slippage_bps", 0.0),
            gap_through_stops=gap, outage_minutes=r.number(fields.get("outage_minutes", 0.0), "outage_minutes"),
        )
    except InvalidScenario as exc:
        raise InvalidScenario(f"{origin}: {exc}") from None


def _parse_text(text: str, origin: str) -> list[Scenario]:
    import yaml

    # Dates stay text, so a bad date is reported with its field rather than as a YAML error.
    resolvers = {first: [(tag, rx) for tag, rx in found if tag != "tag:yaml.org,2002:timestamp"]
                 for first, found in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    Loader: Any = type("Loader", (yaml.SafeLoader,), {"yaml_implicit_resolvers": resolvers})
    try:
        document = yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise InvalidScenario(f"{origin}: not valid YAML: {exc}") from None
    if isinstance(document, dict) and set(document) == {"scenarios"}:
        document = document["scenarios"]
    if isinstance(document, dict) and "name" in document:
        document = [document]
    if not isinstance(document, list) or not document:
        raise InvalidScenario(f"{origin}: expected a top-level `scenarios:` list of scenario mappings")
    found = [parse(item, origin) for item in document]
    seen: set[str] = set()
    for scenario in found:
        if scenario.name in seen:
            raise InvalidScenario(f"{origin}: scenario {scenario.name!r} is defined twice")
        seen.add(scenario.name)
    return found


def load(path: str | Path) -> list[Scenario]:
    """Load and validate user scenarios from a YAML file.

    Parameters
    ----------
    path : str or pathlib.Path
        A YAML file with a ``scenarios:`` list (or one scenario mapping).

    Returns
    -------
    list of Scenario
        In file order.

    Raises
    ------
    InvalidScenario
        When the file is missing, not YAML, or a scenario is malformed (the message says which field).
    """
    file = Path(path)
    if not file.is_file():
        raise InvalidScenario(f"scenario file not found: {file}")
    return _parse_text(file.read_text(encoding="utf-8"), file.name)


@cache
def _library() -> tuple[Scenario, ...]:
    text = resources.files("athena.stress").joinpath("library", "historical.yaml").read_text(encoding="utf-8")
    return tuple(_parse_text(text, "athena/stress/library/historical.yaml"))


def library() -> dict[str, Scenario]:
    """Return the shipped historical scenarios, by name, oldest first."""
    return {s.name: s for s in _library()}


def get(name: str, extra: Sequence[Scenario] = ()) -> Scenario:
    """Return the scenario named ``name`` from ``extra`` or the shipped library.

    Parameters
    ----------
    name : str
        The scenario name, e.g. ``"covid_crash_2020"``.
    extra : sequence of Scenario
        User scenarios, searched first.

    Returns
    -------
    Scenario
        The scenario.

    Raises
    ------
    UnknownScenario
        With the nearest names as suggestions.
    """
    known = {**library(), **{s.name: s for s in extra}}
    if name in known:
        return known[name]
    near = get_close_matches(name, list(known), n=3, cutoff=0.4)
    near += [k for k in known if name and name.lower() in k and k not in near][: 3 - len(near)]
    hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    raise UnknownScenario(f"unknown scenario {name!r}{hint} (`athena stress scenarios` lists them)")


def from_history(scenario: Scenario, bars: Bars) -> Scenario:
    """Return ``scenario`` with symbol shocks measured from ``bars`` over its window, where they cover it.

    The shock of a symbol is measured against its last close on or before the window's start: for a
    ``close`` scenario, its last close on or before the window's end; for a ``trough`` scenario, the
    lowest low after the start day up to the end of the window's last day (the library measures
    intraday crashes that way). Minus one, as a simple return.

    Parameters
    ----------
    scenario : Scenario
        A scenario with a window.
    bars : Bars
        The workspace's history; symbols whose bars do not span the window keep the documented shocks.

    Returns
    -------
    Scenario
        The scenario with measured shocks (unchanged when nothing covers the window).

    Raises
    ------
    InvalidScenario
        When the scenario has no window.
    """
    if scenario.start is None or scenario.end is None:
        raise InvalidScenario(f"scenario {scenario.name!r} has no window to measure from history")
    start = pd.Timestamp(scenario.start, tz="UTC") + pd.Timedelta(days=1)
    end = pd.Timestamp(scenario.end, tz="UTC") + pd.Timedelta(days=1)
    measured: dict[str, float] = {}
    for symbol in bars.symbols:
        close = bars[symbol]["close"]
        if close.index[0] < start and close.index[-1] >= end - pd.Timedelta(days=1):
            base = close[close.index < start].iloc[-1]
            if scenario.measure == "trough":
                low = bars[symbol]["low"]
                level = low[(low.index >= start) & (low.index < end)].min()
            else:
                level = close[close.index < end].iloc[-1]
            if not pd.isna(level):
                measured[symbol] = float(level / base - 1.0)
    return scenario.with_shocks(measured) if measured else scenario
