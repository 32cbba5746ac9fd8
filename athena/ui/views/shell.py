"""The control plane: login, then a sidebar, a header and the page the operator chose."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.errors import AthenaError
from athena.ui.live import LiveLoop
from athena.ui.state import ShellState
from athena.ui.theme import PALETTE, badge, card_styles
from athena.ui.views.alerts import AlertsView
from athena.ui.views.audit import AuditView
from athena.ui.views.command import CommandView, state_color
from athena.ui.views.common import on_press
from athena.ui.views.execution import ExecutionView
from athena.ui.views.jobs import JobsView
from athena.ui.views.login import LOGO, LoginView
from athena.ui.views.market import MarketView
from athena.ui.views.risk import RiskView
from athena.ui.views.runs import RunsView
from athena.ui.views.strategies import StrategiesView
from athena.ui.views.users import UsersView
from athena.workspace import Workspace, connect

__all__ = ["VIEWS", "ControlPlane"]

TITLE = "Athena control plane"

_NAV_CSS = f"""
.bk-btn-group {{ display: flex; flex-direction: column; gap: 4px; width: 100%; }}
.bk-btn-group .bk-btn, .bk-btn-group .bk-btn.bk-btn-default {{
  text-align: left; background: transparent !important; border: none !important; border-radius: 6px !important;
  color: {PALETTE["muted"]}; padding: 10px 14px; font-size: 14px; font-weight: 500; box-shadow: none;
  margin: 0 !important;
}}
.bk-btn-group .bk-btn:hover {{ background: #1F2937 !important; color: {PALETTE["text"]}; }}
.bk-btn-group .bk-btn.bk-active {{
  background: rgba(123, 63, 228, .20) !important; color: #ffffff; box-shadow: inset 3px 0 0 {PALETTE["primary"]};
}}
"""


#: Page title -> the view that draws it from the shell state (titles as in ``athena.ui.state.PAGES``).
VIEWS: dict[str, Callable[[ShellState], Viewer]] = {
    "Command center": lambda shell: CommandView(state=shell.command, shell=shell),
    "Risk": lambda shell: RiskView(state=shell.risk),
    "Execution": lambda shell: ExecutionView(state=shell.states["Execution"]),
    "Market data": lambda shell: MarketView(state=shell.states["Market data"]),
    "Audit log": lambda shell: AuditView(state=shell.audit),
    "Users": lambda shell: UsersView(state=shell.users),
    "Alerts": lambda shell: AlertsView(state=shell.alerts),
    "Strategies": lambda shell: StrategiesView(state=shell.strategies),
    "Runs": lambda shell: RunsView(state=shell.runs),
    "Jobs": lambda shell: JobsView(state=shell.jobs),
}


class ControlPlane(Viewer):
    """The whole operator dashboard of one browser tab.

    Parameters
    ----------
    workspace
        The workspace to work on; by default the one ``ATHENA_HOME``/``ATHENA_DB_URL`` name.
    **params
        Parameter values, e.g. ``poll_ms``.
    """

    state = param.ClassSelector(
        allow_None=NoNone, class_=ShellState, doc="Session, pages and system status of this tab."
    )
    poll_ms = param.Integer(default=500, bounds=(50, 60_000), doc="Milliseconds between live updates.")
    problem = param.String(default="", doc="Why the workspace could not be opened, if it could not.")

    def __init__(self, workspace: Workspace | None = None, **params: Any) -> None:
        problem = ""
        if workspace is None:
            try:
                workspace = connect()
            except AthenaError as exc:
                problem = str(exc)
        super().__init__(state=ShellState(workspace), problem=problem, **params)
        self._root = pn.Column(
            sizing_mode="stretch_width", margin=0, styles={"background": PALETTE["background"], "min-height": "100vh"}
        )
        self._live = LiveLoop(self.state.poll, self.poll_ms)
        self.state.session.param.watch(self._render, "console")
        self._render()

    def _render(self, *events: param.parameterized.Event) -> None:
        if self.problem:
            self._root.objects = [self._problem_card()]
        elif self.state.session.console is None:
            self._root.objects = [LoginView(shell=self.state)]
        else:
            self._root.objects = [self._shell()]

    def _problem_card(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.pane.HTML(LOGO),
            pn.pane.HTML(
                f'<div style="color:{PALETTE["danger"]};font-weight:700;margin-top:12px">The workspace '
                f'could not be opened</div><div style="color:{PALETTE["text"]};margin-top:6px">'
                f"{escape(self.problem)}</div>",
                sizing_mode="stretch_width",
            ),
            width=520,
            margin=(80, 0, 0, 0),
            styles=card_styles(padding="28px", margin="0 auto"),
        )

    def _shell(self) -> pn.viewable.Viewable:
        state = self.state
        pages = {name: VIEWS[name](state) for name in state.pages()}
        nav = pn.widgets.RadioButtonGroup.from_param(
            state.param.page,
            description=None,
            label="Navigation",
            orientation="vertical",
            color="default",
            sizing_mode="stretch_width",
            stylesheets=[_NAV_CSS],
            margin=(8, 8),
        )
        logout = on_press(
            pn.widgets.Button(label="Log out", color="default", sizing_mode="stretch_width", margin=(8, 12)),
            state.session.logout,
        )
        sidebar = pn.Column(
            pn.pane.HTML(LOGO, margin=(20, 16, 24, 16)),
            pn.pane.HTML(
                f'<div style="color:{PALETTE["muted"]};font-size:11px;letter-spacing:.08em;'
                'padding:0 8px">NAVIGATION</div>',
                margin=(0, 12),
            ),
            nav,
            logout,
            width=230,
            styles={
                "background": PALETTE["panel"],
                "border-right": f"1px solid {PALETTE['border']}",
                "min-height": "100vh",
            },
            margin=0,
        )
        header = pn.Row(
            pn.pane.HTML(pn.bind(self._title_html, state.param.page), margin=(14, 24)),
            pn.layout.HSpacer(),
            pn.pane.HTML(pn.bind(self._status_html, state.param.status, state.param.online), margin=(16, 24)),
            sizing_mode="stretch_width",
            height=64,
            margin=0,
            styles={"background": PALETTE["panel"], "border-bottom": f"1px solid {PALETTE['border']}"},
        )

        def page_view(page: str) -> Any:
            return pages.get(page, next(iter(pages.values())))

        content = pn.panel(pn.bind(page_view, state.param.page), sizing_mode="stretch_width")
        main = pn.Column(
            header,
            pn.Column(content, sizing_mode="stretch_width", margin=(20, 24)),
            sizing_mode="stretch_width",
            margin=0,
        )
        return pn.Row(sidebar, main, sizing_mode="stretch_width", margin=0)

    @staticmethod
    def _title_html(page: str) -> str:
        return (
            f'<div style="font-size:20px;font-weight:700;color:{PALETTE["text"]}">{escape(page)}</div>'
            f'<div style="font-size:12px;color:{PALETTE["muted"]}">{TITLE}</div>'
        )

    def _status_html(self, status: dict[str, Any], online: bool) -> str:
        console = self.state.session.console
        if console is None:
            return ""
        who = console.identity
        mode = str(status.get("trading_mode", "paper")).upper()
        home = Path(str(status.get("home", ""))).name or "workspace"
        system = badge("● ONLINE" if online else "● OFFLINE", "success" if online else "danger")
        mode_badge = badge(mode, "success" if mode == "PAPER" else "warning")
        trading = str(status.get("trading_state", "ACTIVE"))
        trading_badge = badge(f"\u25a0 {trading}" if trading == "HALTED" else trading, state_color(trading),
                              solid=trading == "HALTED")
        return (
            f'<div style="display:flex;gap:14px;align-items:center;font-size:13px;color:{PALETTE["muted"]}">'
            f'{system}{trading_badge}{mode_badge}'
            f'<span>workspace <b style="color:{PALETTE["text"]}">{escape(home)}</b></span>'
            f'<span style="color:{PALETTE["text"]};font-weight:600">{escape(who.username)}</span>'
            f"{badge(who.role.value, 'primary', solid=True)}</div>"
        )

    # Returns itself (not a Viewable, unlike Viewer.servable) so the notebook displays the ControlPlane and
    # its _repr_mimebundle_ can gate live updates on the browser view.
    def servable(  # type: ignore[override]
        self, title: str | None = None, location: bool = True, area: str = "main", target: str | None = None
    ) -> ControlPlane:
        """Mark the dashboard for ``panel serve`` and start live updates once the page has loaded."""
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            self._root.servable(title=title or TITLE, location=location, area=area, target=target)
            self._live.start_when_loaded()
        return self

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        if pn.config.comms == "ipywidgets":
            widget = self._live.widget_for(self._root)
            return widget._repr_mimebundle_(include=include, exclude=exclude), {}
        self._live.start_when_loaded()
        return self._root._repr_mimebundle_(include, exclude)  # type: ignore[no-any-return]

    def __panel__(self) -> pn.viewable.Viewable:
        return self._root
