"""Time to first render and to first live update of the control plane: Voila vs ``panel serve``.

Each server is started the way ``athena up`` starts it, on a fresh workspace. For every load a new
browser context navigates to the page and we record

- render: navigation -> the login page is interactive (the "Sign in" button is visible);
- live:   navigation -> the page shows a ledger entry appended by this process right after render
          (the login card polls the ledger head), i.e. the first live update;
- latency: append -> visible (live - render).

Loads are sequential, ``--gap`` seconds apart, with the previous tab closed, first each in a fresh browser profile (cold
HTTP and code cache), then as new tabs of one profile (warm: an operator's usual browser). Voila
additionally gets a burst of tabs opened at once, which shows whether the preheated pool is large
enough. Goal: Voila <= 3 s to interactive; the exit status checks the warm medians.

Run: ``.venv/bin/python benchmarks/bench_dashboards.py [--loads 10] [--burst 3]``
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from athena.testing import new_workspace
from athena.workspace import connect

STUCK_S = 30
_HARNESS = Path(__file__).resolve().parents[1] / "tests" / "ui" / "conftest.py"


def harness() -> Any:
    """Import the browser harness of the UI tests (tests/ui/conftest.py) as a module."""
    spec = importlib.util.spec_from_file_location("ui_harness", _HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _append(home: Path) -> int:
    ws = connect(home)
    try:
        ws.system("bench").request_trading_mode("paper")
        return int(ws.status()["audit_head_seq"])
    finally:
        ws.close()


def _load(browser: Browser, url: str, home: Path, context: BrowserContext | None = None,
          gap: float = 0.0) -> dict[str, float] | None:
    time.sleep(gap)
    own = context is None
    context = context or browser.new_context()
    page = context.new_page()
    start = time.monotonic()
    page.goto(url, wait_until="commit")
    try:
        page.get_by_role("button", name="Sign in").wait_for(timeout=STUCK_S * 1000)
    except PlaywrightTimeout:
        page.close(run_before_unload=True)
        if own:
            context.close()
        return None
    render = time.monotonic() - start
    head = _append(home)
    page.get_by_text(f"ledger head #{head}").wait_for(timeout=30_000)
    live = time.monotonic() - start
    page.close(run_before_unload=True)
    if own:
        context.close()
    return {"render": render, "live": live, "latency": live - render}


def _burst(browser: Browser, url: str, tabs: int) -> list[float]:
    context = browser.new_context()
    pages = [context.new_page() for _ in range(tabs)]
    start = time.monotonic()
    for page in pages:
        page.goto(url, wait_until="commit")
    times = []
    for page in pages:
        page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
        times.append(time.monotonic() - start)
    for page in pages:
        page.close(run_before_unload=True)
    context.close()
    return times


def _summary(name: str, attempts: list[dict[str, float] | None]) -> dict[str, float]:
    runs = [r for r in attempts if r is not None]
    stuck = len(attempts) - len(runs)
    row = {key: statistics.median(r[key] for r in runs) for key in ("render", "live", "latency")}
    worst = max(r["render"] for r in runs)
    renders = " ".join(f"{r['render']:.2f}" for r in runs)
    print(f"{name:11s} median render {row['render']:.2f} s | first live update {row['live']:.2f} s | "
          f"update latency {row['latency'] * 1000:.0f} ms | worst render {worst:.2f} s | "
          f"renders {renders}" + (f" | {stuck} of {len(attempts)} loads never rendered" if stuck else ""))
    return row


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print medians; exit 1 if Voila misses the 3 s goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=10, help="sequential loads per server")
    parser.add_argument("--burst", type=int, default=3, help="tabs opened at once against Voila (0: skip)")
    parser.add_argument("--gap", type=float, default=5.0,
                        help="seconds between loads, as operators arrive (0: back to back, a stress test)")
    parser.add_argument("--servers", nargs="+", default=["voila", "panel"], choices=["voila", "panel"])
    args = parser.parse_args(argv)
    ui = harness()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp, ui.chromium() as browser:
        for server in args.servers:
            home = Path(tmp) / server
            new_workspace(home)[0].close()
            with ui.serve(home, server=server) as app:
                first = _load(browser, app.url, home)
                took = f"{first['render']:.2f} s" if first else f"never (>{STUCK_S} s)"
                print(f"{server:6s} first load after start (not in the medians): render {took}")
                cold = [_load(browser, app.url, home, gap=args.gap) for _ in range(args.loads)]
                results[f"{server} cold"] = _summary(f"{server} cold", cold)
                profile = browser.new_context()
                _load(browser, app.url, home, profile)
                warm = [_load(browser, app.url, home, profile, args.gap) for _ in range(args.loads)]
                profile.close()
                results[f"{server} warm"] = _summary(f"{server} warm", warm)
                if server == "voila" and args.burst:
                    time.sleep(5)
                    burst = _burst(browser, app.url, args.burst)
                    print(f"voila  burst of {args.burst} tabs at once: interactive after "
                          + ", ".join(f"{t:.2f}" for t in burst) + " s")
    if "voila" not in args.servers:
        return 0
    ok = results["voila warm"]["render"] <= 3.0
    for key in ("voila cold", "voila warm"):
        met = "met" if results[key]["render"] <= 3.0 else "MISSED"
        print(f"goal Voila <= 3 s to interactive ({key.split()[1]} browser cache): {met}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
