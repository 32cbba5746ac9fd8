"""The Market data page: last price per symbol with change, freshness and a sparkline; feed health."""

from __future__ import annotations

from html import escape
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.ui.state import MarketState
from athena.ui.state.market import FeedRow, QuoteRow
from athena.ui.theme import MONO, PALETTE, badge, card_styles
from athena.ui.views.execution import heading

__all__ = ["MarketView", "sparkline"]

_CELL = f'style="padding:8px 12px;border-bottom:1px solid {PALETTE["border"]}"'
_HEAD = (f'style="padding:6px 12px;text-align:left;color:{PALETTE["muted"]};font-size:11px;text-transform:uppercase;'
         f'letter-spacing:.05em;border-bottom:1px solid {PALETTE["border"]}"')


def sparkline(points: tuple[float, ...], color: str, width: int = 180, height: int = 34, last: int = 120) -> str:
    """Return an inline SVG line of the last ``last`` points, one step per point, scaled to their range."""
    values = points[-last:]
    if len(values) < 2:
        return f'<svg width="{width}" height="{height}" role="img" aria-label="no history yet"></svg>'
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (last - 1)
    coords = " ".join(f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
                      for i, v in enumerate(values))
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="price chart">'
            f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{coords}"/></svg>')


def _quotes_html(rows: list[QuoteRow]) -> str:
    if not rows:
        return (f'<div style="color:{PALETTE["muted"]}">No prices yet: start the engine '
                "(athena up or athena engine).</div>")
    body = []
    for r in rows:
        color = PALETTE["success"] if r.change_pct >= 0 else PALETTE["danger"]
        body.append(
            f"<tr><td {_CELL}><b>{escape(r.symbol)}</b></td>"
            f'<td {_CELL}><span style="font-family:{MONO};font-size:15px">{r.last:,.2f}</span></td>'
            f'<td {_CELL}><span style="font-family:{MONO};color:{color}">{r.change_pct:+.3f}%</span>'
            f'<div style="color:{PALETTE["muted"]};font-size:11px">from {r.base:,.2f}</div></td>'
            f"<td {_CELL}>{badge(f'{r.age_s:.1f} s', r.level)}</td>"
            f"<td {_CELL}>{sparkline(r.points, color)}</td></tr>")
    head = "".join(f"<th {_HEAD}>{h}</th>" for h in ("Symbol", "Last", "Change", "Updated", "Price"))
    return (f'<table style="width:100%;border-collapse:collapse;color:{PALETTE["text"]};font-size:13px">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _figure(label: str, value: str) -> str:
    return (f'<div style="min-width:110px"><div style="color:{PALETTE["muted"]};font-size:11px;'
            f'text-transform:uppercase;letter-spacing:.05em">{escape(label)}</div>'
            f'<div style="font-family:{MONO};font-size:16px;color:{PALETTE["text"]};margin-top:4px">'
            f"{value}</div></div>")


def _feed_html(feed: FeedRow | None) -> str:
    if feed is None:
        return f'<div style="color:{PALETTE["muted"]}">The engine has never run on this workspace.</div>'
    running = feed.state == "running"
    state = badge(f"ENGINE {feed.state.upper()}", "success" if running else "danger", solid=True)
    figures = [
        _figure("Feed", escape(feed.feed)),
        _figure("Heartbeat", badge(f"{feed.heartbeat_age_s:.1f} s ago", feed.level)),
        _figure("Ticks", f"{feed.ticks:,}"),
        _figure("Last tick", f"{feed.last_ms:.1f} ms"),
        _figure("p50", f"{feed.p50_ms:.1f} ms"),
        _figure("p95", f"{feed.p95_ms:.1f} ms"),
        _figure("p99", f"{feed.p99_ms:.1f} ms"),
    ]
    return (f'<div style="display:flex;flex-wrap:wrap;gap:20px;align-items:center">{state}{"".join(figures)}</div>'
            f'<div style="color:{PALETTE["muted"]};font-size:11px;margin-top:8px">Latency: feed tick to marks '
            "matched and committed, percentiles over the engine's recent ticks.</div>")


class MarketView(Viewer):
    """Live prices and the health of the feed, read through Console every poll."""

    state = param.ClassSelector(allow_None=NoNone, class_=MarketState, doc="What the page shows.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        window = pn.widgets.RadioButtonGroup.from_param(s.param.window, description=None, label="Change", width=260)
        self._layout = pn.Column(
            pn.Column(heading("Feed", "The engine's heartbeat and tick latency."),
                      pn.pane.HTML(pn.bind(_feed_html, s.param.feed), sizing_mode="stretch_width"),
                      styles=card_styles(), sizing_mode="stretch_width"),
            pn.Column(pn.Row(heading("Prices", "Latest mark per symbol; age green/amber/red by freshness."),
                             window, sizing_mode="stretch_width"),
                      pn.pane.HTML(pn.bind(_quotes_html, s.param.quotes), sizing_mode="stretch_width"),
                      styles=card_styles(), sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
