"""Choosing comms for the face, and serving Panel's stylesheets without any CDN."""

from __future__ import annotations

import base64
import subprocess
import sys

import panel.io.resources as pn_resources
import pytest

from athena.ui.loader import detect_face, inline_stylesheet_url


@pytest.mark.parametrize(
    ("environ", "face"),
    [
        ({"VOILA_BASE_URL": "/"}, "voila"),
        ({"SERVER_SOFTWARE": "voila/0.5.13"}, "voila"),
        ({"JPY_SESSION_NAME": "x.ipynb"}, "jupyter"),
        ({}, "jupyter"),
    ],
)
def test_detect_face_when_environment_given_picks_comms_owner(environ: dict[str, str], face: str) -> None:
    assert detect_face(environ) == face


def test_inline_stylesheet_url_when_panel_cdn_css_returns_data_url() -> None:
    url = f"{pn_resources.CDN_DIST}css/loading.css?v=1"

    inlined = inline_stylesheet_url(url)

    assert inlined is not None and inlined.startswith("data:text/css;base64,")
    css = base64.b64decode(inlined.split(",", 1)[1]).decode()
    assert "../assets/" not in css and "data:image/svg+xml;base64," in css


def test_inline_stylesheet_url_when_foreign_url_leaves_it() -> None:
    assert inline_stylesheet_url("https://example.org/x.css") is None


def test_import_when_state_only_does_not_load_panel() -> None:
    code = "import sys, athena.ui, athena.ui.state; print('panel' in sys.modules)"

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "False"
