"""Start live polling only once a browser shows the page, and never twice.

Under Voila, jupyter_bokeh sends each Bokeh update as several comm messages and drops the
ones that arrive before the browser view exists; a view that misses the first header
message stays out of step for good. So the periodic callback starts only when the
ipywidget reports a displayed view (``_view_count`` >= 1), and stops when the count falls
back to 0. Under ``panel serve`` it starts from ``pn.state.onload``; in JupyterLab at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import panel as pn
from panel.io.callbacks import PeriodicCallback
from panel.io.notebook import ipywidget

__all__ = ["LiveLoop"]

log = logging.getLogger(__name__)


class LiveLoop:
    """Call ``tick`` every ``period_ms`` while the page is displayed.

    Parameters
    ----------
    tick
        The update to run; exceptions are logged, never stop the loop.
    period_ms
        Milliseconds between calls.
    """

    def __init__(self, tick: Callable[[], None], period_ms: int) -> None:
        self._tick = tick
        self._period_ms = period_ms
        self._callback: PeriodicCallback | None = None

    @property
    def running(self) -> bool:
        """Return whether the periodic callback is running."""
        return self._callback is not None and self._callback.running

    def start(self) -> None:
        """Start the periodic callback (idempotent)."""
        if self._callback is None:
            self._callback = pn.state.add_periodic_callback(self._safe_tick, period=self._period_ms)
        elif not self._callback.running:
            self._callback.start()

    def stop(self) -> None:
        """Stop the periodic callback."""
        if self._callback is not None and self._callback.running:
            self._callback.stop()

    def _safe_tick(self) -> None:
        try:
            with pn.io.hold():
                self._tick()
        except Exception:  # noqa: BLE001 - one failed poll must not end live updates
            log.exception("live update failed")

    def _on_view_count(self, change: dict[str, Any]) -> None:
        if (change.get("new") or 0) > 0:
            self.start()
        else:
            self.stop()

    def widget_for(self, viewable: Any) -> Any:
        """Return the ipywidget rendering ``viewable``, wired to start the loop once displayed."""
        widget = ipywidget(viewable)
        widget.observe(self._on_view_count, "_view_count")
        return widget

    def start_when_loaded(self) -> None:
        """Start once the served page has loaded (``panel serve``) or at once (JupyterLab)."""
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.onload(self.start)
        else:
            self.start()
