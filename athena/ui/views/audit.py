"""The Audit log page: live ledger table, filters, details with hashes, verification, CSV export."""

from __future__ import annotations

import json
from html import escape
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.ui.state import AuditState
from athena.ui.theme import MONO, PALETTE, TABLE_CSS, badge, card_styles, notice_html
from athena.ui.views.common import on_press

__all__ = ["AuditView"]

_TITLES = {
    "seq": "#",
    "time": "Time (UTC)",
    "actor": "Actor",
    "action": "Action",
    "subject": "Subject",
    "outcome": "Outcome",
}
_WIDTHS = {"seq": 70, "time": 160, "actor": 150, "action": 190, "outcome": 90}


def _hash_line(label: str, value: str) -> str:
    return (
        f'<div style="margin-top:6px"><div style="color:{PALETTE["muted"]};font-size:11px;'
        f'text-transform:uppercase;letter-spacing:.05em">{label}</div><div style="font-family:{MONO};'
        f'font-size:12px;word-break:break-all;color:{PALETTE["text"]}">{escape(value) or "-"}</div></div>'
    )


class AuditView(Viewer):
    """The ledger, newest first, with new entries streaming in while the page is open."""

    state = param.ClassSelector(allow_None=NoNone, class_=AuditState, doc="What the page shows and does.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        clear = on_press(
            pn.widgets.Button(label="Clear filters", color="default", width=120, margin=(24, 10, 5, 10)),
            s.clear_filters,
        )
        filters = pn.FlexBox(
            pn.widgets.TextInput.from_param(
                s.param.actor, description=None, label="Actor", placeholder="admin", width=170
            ),
            pn.widgets.TextInput.from_param(
                s.param.action, description=None, label="Action", placeholder="users.*", width=170
            ),
            pn.widgets.TextInput.from_param(
                s.param.subject, description=None, label="Subject", placeholder="user:alice", width=170
            ),
            pn.widgets.TextInput.from_param(
                s.param.text, description=None, label="Search", placeholder="free text", width=170
            ),
            pn.widgets.Select.from_param(s.param.outcome, description=None, label="Outcome", width=100),
            pn.widgets.DatetimePicker.from_param(s.param.since, description=None, label="From (UTC)", width=170),
            pn.widgets.DatetimePicker.from_param(s.param.until, description=None, label="To (UTC)", width=170),
            clear,
            flex_wrap="wrap",
            align_items="flex-end",
            sizing_mode="stretch_width",
        )
        self._table = pn.widgets.Tabulator(
            s.frame(),
            show_index=False,
            disabled=True,
            selectable=1,
            sizing_mode="stretch_width",
            height=560,
            titles=_TITLES,
            widths=_WIDTHS,
            layout="fit_columns",
            theme="midnight",
            stylesheets=[TABLE_CSS],
            configuration={"placeholder": "No ledger entries match the filters"},
        )
        self._table.param.watch(self._on_select, "selection")
        verify = on_press(pn.widgets.Button(label="Verify chain", color="primary", width=130), s.verify)
        export = pn.widgets.FileDownload(
            callback=s.export_csv,
            filename="athena-audit.csv",
            label="Export CSV",
            color="default",
            width=130,
            visible=s.can_export,
        )
        toolbar = pn.Row(
            pn.pane.HTML(
                pn.bind(self._live_html, s.param.entries, s.param.last_seq, s.param.new_entries),
                sizing_mode="stretch_width",
                margin=(12, 10),
            ),
            verify,
            export,
            sizing_mode="stretch_width",
        )
        details = pn.Column(
            pn.pane.HTML(
                pn.bind(self._details_html, s.param.selected_seq, s.param.entries), sizing_mode="stretch_width"
            ),
            width=380,
            styles=card_styles(),
            min_height=560,
        )
        self._layout = pn.Column(
            pn.Column(filters, styles=card_styles(padding="8px"), sizing_mode="stretch_width"),
            toolbar,
            pn.pane.HTML(pn.bind(notice_html, s.param.message, s.param.level), sizing_mode="stretch_width"),
            pn.Row(self._table, details, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
        s.param.watch(self._on_entries, "entries")

    def _on_entries(self, event: param.parameterized.Event) -> None:
        self._table.value = self.state.frame()
        selected = self.state.selected_seq
        seqs = list(self._table.value["seq"])
        self._table.selection = [seqs.index(selected)] if selected in seqs else []

    def _on_select(self, event: param.parameterized.Event) -> None:
        rows = event.new
        frame = self._table.value
        self.state.selected_seq = int(frame.iloc[rows[0]]["seq"]) if rows and len(frame) > rows[0] else None

    @staticmethod
    def _live_html(entries: list[Any], last_seq: int, new: int) -> str:
        dot = f'<span style="color:{PALETTE["success"]};font-size:14px">&#9679;</span>'
        fresh = f' &middot; <span style="color:{PALETTE["secondary"]}">{new} new</span>' if new else ""
        return (
            f'<div style="color:{PALETTE["muted"]};font-size:13px">{dot} <b style="color:{PALETTE["text"]}">'
            f"LIVE</b> &middot; {len(entries)} entries shown &middot; head #{last_seq}{fresh}</div>"
        )

    def _details_html(self, selected_seq: int | None, entries: list[Any]) -> str:
        entry = self.state.selected
        if entry is None:
            return (
                f'<div style="color:{PALETTE["muted"]};font-size:13px">Select an entry to see its payload '
                "and hashes.</div>"
            )
        outcome = badge(entry.outcome.value.upper(), "success" if entry.outcome.value == "ok" else "danger")
        return (
            f'<div style="font-size:16px;font-weight:700;color:{PALETTE["text"]}">Entry #{entry.seq} {outcome}</div>'
            f'<div style="color:{PALETTE["muted"]};font-size:13px;margin-top:4px">{escape(entry.actor)} &rarr; '
            f"{escape(entry.action)} on {escape(entry.subject)}<br>{entry.ts.isoformat()}</div>"
            + _hash_line("previous hash", entry.prev_hash)
            + _hash_line("hash (SHA-256)", entry.hash)
            + _hash_line("signature (HMAC)", entry.signature)
            + f'<div style="margin-top:12px;color:{PALETTE["muted"]};font-size:11px;text-transform:uppercase;'
            f'letter-spacing:.05em">payload</div><pre style="margin:4px 0 0;padding:10px;background:'
            f"{PALETTE['background']};border:1px solid {PALETTE['border']};border-radius:6px;font-family:{MONO};"
            f'font-size:12px;color:{PALETTE["text"]};white-space:pre-wrap;word-break:break-all">'
            f"{escape(json.dumps(entry.payload, indent=2, sort_keys=True, default=str))}</pre>"
        )

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
