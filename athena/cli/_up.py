"""``athena up``: the control plane (Voila or ``panel serve``), the live engine and the jobs service."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from athena.cli._base import Context, pass_ctx
from athena.cli._base import cli as root
from athena.config import Settings


def _start(settings: Settings, db_url: str | None, name: str, args: list[str]) -> subprocess.Popen[bytes]:
    """Start ``athena ARGS`` on the workspace in its own process group, logging to ``NAME.log``."""
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ATHENA_HOME": str(settings.home)}
    if db_url:
        env["ATHENA_DB_URL"] = db_url
    log_path: Path = settings.log_dir / f"{name}.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "athena", *args], env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    click.echo(f"{name} started (pid {proc.pid}); log: {log_path}")
    return proc


@root.command()
@click.option("--server", type=click.Choice(["voila", "panel"]), default="voila", show_default=True,
              help="Serve the dashboards with Voila or with `panel serve`.")
@click.option("--port", default=8866, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-engine", is_flag=True, help="Serve the dashboards only, without the live engine.")
@click.option("--no-jobs", is_flag=True, help="Do not run queued jobs (no `athena jobs serve`).")
@click.option("--tick", "tick_s", default=1.0, show_default=True, type=click.FloatRange(0.05),
              help="Engine seconds per tick.")
@pass_ctx
def up(ctx: Context, server: str, port: int, no_engine: bool, no_jobs: bool, tick_s: float) -> None:
    """Start the control plane, the engine and the jobs service; Ctrl-C or SIGTERM stops all of it."""
    from athena.runtime.supervisor import run_up, stop_process_tree

    settings = ctx.settings
    ctx.workspace().close()
    helpers = []
    if not no_engine:
        helpers.append(_start(settings, ctx.db_url, "engine", ["engine", "--tick", str(tick_s)]))
    if not no_jobs:
        helpers.append(_start(settings, ctx.db_url, "jobs", ["jobs", "serve"]))
    try:
        code = run_up(home=settings.home, db_url=ctx.db_url, server=server,  # type: ignore[arg-type]
                      port=port)
    finally:
        for proc in helpers:
            stop_process_tree(proc)
    raise SystemExit(code)
