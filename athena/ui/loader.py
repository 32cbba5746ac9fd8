"""Load Panel for the face that runs the notebook: Voila, JupyterLab or ``panel serve``.

Under Voila a Panel app renders and updates only through ipywidgets comms with the
JavaScript inlined; JupyterLab needs Panel's default comms. Voila sets ``VOILA_BASE_URL``
in the environment of every kernel it starts, preheated ones included (``SERVER_SOFTWARE``
is missing from preheated kernels), so that variable decides.

Panel still points its stylesheets at its CDN even with ``inline=True``. An operator's
machine is often offline and a hanging CDN request can stop a page from updating, so every
stylesheet Panel hands to the browser is rewritten into a ``data:`` URL read from Panel's
own installed ``dist`` directory. Panel also publishes its inline JavaScript twice (once for
the pyviz JupyterLab extension that Voila does not load); under Voila it is sent once, which
halves the page.
"""

from __future__ import annotations

import base64
import os
import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import panel as pn
import panel.io.resources as pn_resources
import panel.reactive as pn_reactive
from IPython.display import publish_display_data
from IPython.utils.capture import capture_output
from panel.io.notebook import LOAD_MIME

from athena.ui.theme import AthenaDesign

__all__ = ["Face", "detect_face", "extension", "inline_stylesheet_url"]

Face = Literal["voila", "jupyter", "server"]

_CSS_URL = re.compile(r"""url\(\s*['"]?(?!data:)([^'")]+)['"]?\s*\)""")
_CSS_IMPORT = re.compile(r"""@import\s+url\(\s*['"]?([^'")]+)['"]?\s*\)\s*;""")
_MIME = {".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2", ".woff": "font/woff"}


def detect_face(environ: dict[str, str] | None = None) -> Face:
    """Return which face runs this kernel or process.

    Parameters
    ----------
    environ
        The environment to inspect; ``os.environ`` when omitted.

    Returns
    -------
    Face
        ``"voila"`` in a kernel started by Voila (``VOILA_BASE_URL`` set), ``"server"`` under
        ``panel serve`` (a Bokeh server document is being built), ``"jupyter"`` otherwise.
    """
    env = os.environ if environ is None else environ
    if "VOILA_BASE_URL" in env or env.get("SERVER_SOFTWARE", "").startswith("voila"):
        return "voila"
    if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
        return "server"
    return "jupyter"


def _data_url(path: Path) -> str:
    mime = _MIME.get(path.suffix, "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


@cache
def _inline_css(path: Path) -> str:
    css = path.read_text(encoding="utf-8")
    css = _CSS_IMPORT.sub(lambda m: _inline_css((path.parent / m.group(1)).resolve()), css)

    def _embed(match: re.Match[str]) -> str:
        target = (path.parent / match.group(1)).resolve()
        return f"url('{_data_url(target)}')" if target.is_file() else match.group(0)

    return _CSS_URL.sub(_embed, css)


@cache
def inline_stylesheet_url(url: str) -> str | None:
    """Return a ``data:`` URL with the content of one of Panel's own stylesheets.

    Parameters
    ----------
    url
        A stylesheet URL on Panel's CDN or Panel's local static route.

    Returns
    -------
    str or None
        The stylesheet (with its ``@import`` and ``url()`` references embedded) as a
        ``data:text/css`` URL, or ``None`` when the URL is not one of Panel's files.
    """
    path = url.split("?", 1)[0]
    for prefix in (pn_resources.CDN_DIST, pn_resources.LOCAL_DIST):
        if path.startswith(prefix):
            target = pn_resources.DIST_DIR / path[len(prefix):]
            if target.is_file():
                css = _inline_css(target.resolve())
                encoded = base64.b64encode(css.encode("utf-8")).decode("ascii")
                return f"data:text/css;base64,{encoded}"
    return None


def _offline_patch_stylesheet(stylesheet: Any, dist_url: str) -> None:
    try:
        url = str(stylesheet.url)
    except Exception:  # noqa: BLE001 - bokeh raises on an unset property, as Panel's own patch expects
        return
    inlined = inline_stylesheet_url(url)
    if inlined is not None:
        stylesheet.url = inlined


def _install_offline_stylesheets() -> None:
    pn_resources.patch_stylesheet = _offline_patch_stylesheet
    pn_reactive.patch_stylesheet = _offline_patch_stylesheet  # type: ignore[attr-defined]


def extension(*extensions: str, face: Face | None = None, **params: Any) -> Face:
    """Load Panel with the comms and resources that work for this face.

    Parameters
    ----------
    *extensions
        Panel extensions to load besides ``"tabulator"``, which the shell always needs.
    face
        Force a face instead of detecting it (tests use this).
    **params
        Further ``pn.extension`` parameters.

    Returns
    -------
    Face
        The face Panel was loaded for.
    """
    chosen = detect_face() if face is None else face
    params.setdefault("design", AthenaDesign)
    params.setdefault("theme", "dark")
    wanted = ("tabulator", *[name for name in extensions if name != "tabulator"])
    if chosen == "server":
        pn.extension(*wanted, **params)
        return chosen
    _install_offline_stylesheets()
    if chosen == "jupyter":
        pn.extension(*wanted, **params)
        return chosen
    params.setdefault("comms", "ipywidgets")
    params.setdefault("inline", True)
    with capture_output(stdout=False, stderr=False, display=True) as captured:
        pn.extension(*wanted, **params)
    for output in captured.outputs:
        # Panel publishes its 3.5 MB of inline JavaScript twice: once for Jupyter's JavaScript renderer and
        # once for the pyviz JupyterLab extension, which Voila cannot load. Send it once.
        data = {mime: value for mime, value in output.data.items() if mime != LOAD_MIME}
        publish_display_data(data, metadata=output.metadata)
    return chosen
