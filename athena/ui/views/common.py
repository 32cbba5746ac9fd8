"""Small building blocks shared by the views."""

from __future__ import annotations

from collections.abc import Callable

import panel as pn
import param

__all__ = ["on_press"]


def on_press(button: pn.widgets.Button, action: Callable[[], object]) -> pn.widgets.Button:
    """Run ``action`` (whatever it returns) when ``button`` is clicked; return the button."""

    def handler(event: param.parameterized.Event) -> None:
        action()

    button.on_click(handler)
    return button
