"""``athena up``: the control plane (Voila or ``panel serve``) and the live engine, stopped together."""

from __future__ import annotations

import os
import subprocess
import sys

import click

from athena.cli._base import Context, pass_ctx
from athena.cli._base import cli as root


@root.command()
@click.option("--server", type=click.Choice(["voila", "panel"]), default="voila", show_default=True,
              help="Serve the dashboards with Voila or with `panel serve`.")
@click.option("--port", default=8866, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-engine", is_flag=True, help="Serve the dashboards only, without the live engine.")
@click.option("--tick", "tick_s", default=1.0, show_default=True, type=click.FloatRange(0.05),
              help="Engine seconds per tick.")
@pass_ctx
def up(ctx: Context, server: str, port: int, no_engine: bool, tick_s: float) -> None:
    """Start the control plane and the engine on the workspace; Ctrl-C or SIGTERM stops all of it."""
    from athena.runtime.supervisor import run_up, stop_process_tree

    settings = ctx.settings
    ctx.workspace().close()
    engine = None
    if not no_engine:
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "ATHENA_HOME": str(settings.home)}
        if ctx.db_url:
            env["ATHENA_DB_URL"] = ctx.db_url
        with (settings.log_dir / "engine.log").open("ab") as log:
            engine = subprocess.Popen([sys.executable, "-m", "athena", "engine", "--tick", str(tick_s)], env=env,
                                      stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=True)
        click.echo(f"engine started (pid {engine.pid}); log: {settings.log_dir / 'engine.log'}")
    try:
        code = run_up(home=settings.home, db_url=ctx.db_url, server=server,  # type: ignore[arg-type]
                      port=port)
    finally:
        if engine is not None:
            stop_process_tree(engine)
    raise SystemExit(code)
