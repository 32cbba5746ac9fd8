"""Operator dashboards: Panel views over :class:`athena.console.Console`.

The only package that imports Panel. ``athena.ui.state`` holds the Panel-free state classes;
``ControlPlane`` and ``extension`` are loaded on first use so importing the state stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from athena.ui.loader import extension
    from athena.ui.views import ControlPlane

__all__ = ["ControlPlane", "extension"]


def __getattr__(name: str) -> Any:
    if name == "ControlPlane":
        from athena.ui.views import ControlPlane

        return ControlPlane
    if name == "extension":
        from athena.ui.loader import extension

        return extension
    raise AttributeError(f"module 'athena.ui' has no attribute {name!r}")
