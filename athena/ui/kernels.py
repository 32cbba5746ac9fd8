"""The kernel manager Voila runs the dashboards with: cull a kernel only when its page is gone.

Comm traffic does not count as kernel activity here (``comm_msg`` is untracked), so a page that
polls does not keep its kernel alive after the tab closes. That alone would also cull a kernel in
two windows where the page is still there: a preheated kernel that sat in the pool longer than
``cull_idle_timeout`` and was just handed to a page whose browser has not connected yet, and a
page whose websocket is reconnecting. So a kernel is culled only when Jupyter's own rules allow it
*and* it has had no connection for ``cull_idle_timeout`` seconds (since its last disconnect, or
for ``handout_grace_s`` since it left the pool when no browser ever connected).
"""

from __future__ import annotations

import time

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from traitlets import Float

__all__ = ["AthenaKernelManager"]


class AthenaKernelManager(AsyncMappingKernelManager):
    """An async mapping kernel manager that culls only kernels whose page has gone."""

    handout_grace_s = Float(60.0, config=True, help="Seconds a kernel handed to a page may wait for its browser.")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._left_at: dict[str, float] = {}
        self._waiting_since: dict[str, float] = {}

    def notify_connect(self, kernel_id: str) -> None:
        """Record that a browser connected to ``kernel_id``."""
        super().notify_connect(kernel_id)
        self._left_at.pop(kernel_id, None)
        self._waiting_since.pop(kernel_id, None)

    def notify_disconnect(self, kernel_id: str) -> None:
        """Record when the last browser left ``kernel_id``."""
        super().notify_disconnect(kernel_id)
        if not self._kernel_connections.get(kernel_id, 0):
            self._left_at[kernel_id] = time.monotonic()

    def _page_gone(self, kernel_id: str) -> bool:
        if self._kernel_connections.get(kernel_id, 0):
            return False
        now = time.monotonic()
        if kernel_id in self._left_at:
            return bool(now - self._left_at[kernel_id] >= self.cull_idle_timeout)
        since = self._waiting_since.setdefault(kernel_id, now)
        return now - since >= self.handout_grace_s

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """Cull ``kernel_id`` if Jupyter's idle rules allow it and its page is gone."""
        kernel = self._kernels.get(kernel_id)
        if kernel is None:
            return
        if getattr(kernel, "execution_state", None) != "dead" and not self._page_gone(kernel_id):
            return
        await super().cull_kernel_if_idle(kernel_id)
        if kernel_id not in self._kernels:
            self._left_at.pop(kernel_id, None)
            self._waiting_since.pop(kernel_id, None)
