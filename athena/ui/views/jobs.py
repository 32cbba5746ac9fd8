"""The Jobs page: allowlisted notebooks with forms from their parameters cells, job runs, logs, outputs, schedules."""

from __future__ import annotations

from html import escape
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.ui.state.jobs import JobsState
from athena.ui.theme import MONO, PALETTE, card_styles, notice_html
from athena.ui.views.common import on_press
from athena.ui.views.research import param_input, section, table

__all__ = ["JobsView"]


def _log_html(log: str) -> str:
    text = log or "No output yet."
    return (f'<pre style="margin:0;padding:10px;background:{PALETTE["background"]};border:1px solid '
            f'{PALETTE["border"]};border-radius:6px;font-family:{MONO};font-size:12px;color:{PALETTE["text"]};'
            f'white-space:pre-wrap;word-break:break-all;max-height:260px;overflow-y:auto">{escape(text)}</pre>')


class JobsView(Viewer):
    """The job form on top, the job runs with progress below, the selected run's log and outputs, the schedules."""

    state = param.ClassSelector(allow_None=NoNone, class_=JobsState, doc="What the page shows and does.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        self._form = pn.FlexBox(flex_wrap="wrap", align_items="flex-end", sizing_mode="stretch_width")
        run = on_press(pn.widgets.Button(label="Run", color="primary", width=110, margin=(22, 10, 5, 10),
                                         disabled=not s.can_run), s.start)
        schedule = on_press(pn.widgets.Button(label="Schedule", color="primary", variant="outline", width=110,
                                              margin=(22, 10, 5, 10), disabled=not s.can_run), s.schedule)
        head = pn.Row(
            pn.widgets.Select.from_param(s.param.job_name, description=None, label="Job", width=200),
            pn.widgets.IntInput.from_param(s.param.timeout_s, description=None, label="Timeout (s)", width=120,
                                           disabled=not s.can_run),
            run,
            pn.widgets.TextInput.from_param(s.param.cron, description=None, label="Cron (UTC)", width=150,
                                            disabled=not s.can_run),
            schedule,
        )
        self._table = table(s.frame(), height=300, placeholder="No job has run yet",
                            titles={"requested_by": "By", "created": "Created (UTC)"})
        self._table.param.watch(self._on_select, "selection")
        self._cancel = on_press(pn.widgets.Button(label="Cancel", color="danger", width=110, disabled=True), s.cancel)
        self._notebook = pn.widgets.FileDownload(label="Executed notebook", color="default", width=180,
                                                 visible=False, embed=False)
        self._html = pn.widgets.FileDownload(label="HTML report", color="default", width=150, visible=False,
                                             embed=False)
        detail = pn.Column(
            pn.Row(self._cancel, self._notebook, self._html), section("Log tail"),
            pn.pane.HTML(pn.bind(_log_html, s.param.log_tail), sizing_mode="stretch_width"),
            styles=card_styles(padding="8px"), sizing_mode="stretch_width",
        )
        self._schedules = table(s.schedule_frame(), height=180, placeholder="No job is scheduled",
                                titles={"next_fire": "Next fire (UTC)", "last_job": "Last job"})
        self._schedules.param.watch(self._on_pick_schedule, "selection")
        self._schedule_buttons = [
            on_press(pn.widgets.Button(label=label, width=100, disabled=True), action)
            for label, action in (("Pause", s.pause_schedule), ("Resume", lambda: s.pause_schedule(False)),
                                  ("Remove", s.unschedule))]
        schedules = pn.Column(section("Schedules"), self._schedules, pn.Row(*self._schedule_buttons),
                              styles=card_styles(padding="8px"), sizing_mode="stretch_width")
        self._layout = pn.Column(
            pn.Column(head, section("Parameters"), self._form, styles=card_styles(padding="8px"),
                      sizing_mode="stretch_width"),
            pn.pane.HTML(pn.bind(notice_html, s.param.message, s.param.level), sizing_mode="stretch_width"),
            self._table, detail, schedules, sizing_mode="stretch_width",
        )
        s.param.watch(self._on_form, ["job_name", "specs"])
        s.param.watch(self._on_jobs, ["jobs", "selected_id"])
        s.param.watch(self._on_schedules, ["schedules", "selected_schedule"])
        self._on_form()
        self._on_schedules()

    def _on_form(self, *events: param.parameterized.Event) -> None:
        s = self.state
        inputs = [param_input(p.name, p.type, s.values.get(p.name), s.set_value, p.help) for p in s.form]
        for widget in inputs:
            widget.disabled = not s.can_run
        self._form.objects = inputs

    def _on_jobs(self, *events: param.parameterized.Event) -> None:
        s = self.state
        self._table.value = s.frame()
        ids = [j.id for j in s.jobs]
        wanted = [ids.index(s.selected_id)] if s.selected_id in ids else []
        if self._table.selection != wanted:
            self._table.selection = wanted
        chosen = s.selected
        self._cancel.disabled = not s.can_run or chosen is None or chosen.status not in ("queued", "claimed",
                                                                                         "running")
        for widget, kind in ((self._notebook, "notebook"), (self._html, "html")):
            path = s.output(kind)
            widget.visible = path is not None
            if path is not None and widget.file != str(path):
                widget.param.update(file=str(path), filename=path.name)

    def _on_select(self, event: param.parameterized.Event) -> None:
        rows = event.new
        jobs = self.state.jobs
        chosen = jobs[rows[0]].id if rows and len(jobs) > rows[0] else ""
        if chosen != self.state.selected_id:
            self.state.select(chosen)

    def _on_schedules(self, *events: param.parameterized.Event) -> None:
        s = self.state
        self._schedules.value = s.schedule_frame()
        ids = [m.id for m in s.schedules]
        wanted = [ids.index(s.selected_schedule)] if s.selected_schedule in ids else []
        if self._schedules.selection != wanted:
            self._schedules.selection = wanted
        chosen = next((m for m in s.schedules if m.id == s.selected_schedule), None)
        pause, resume, remove = self._schedule_buttons
        pause.disabled = not s.can_run or chosen is None or chosen.paused
        resume.disabled = not s.can_run or chosen is None or not chosen.paused
        remove.disabled = not s.can_run or chosen is None

    def _on_pick_schedule(self, event: param.parameterized.Event) -> None:
        rows, found = event.new, self.state.schedules
        chosen = found[rows[0]].id if rows and len(found) > rows[0] else 0
        if chosen != self.state.selected_schedule:
            self.state.selected_schedule = chosen

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
