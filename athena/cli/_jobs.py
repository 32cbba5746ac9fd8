"""Allowlisted papermill jobs: list, run with a progress bar, status, cancel, logs."""

from __future__ import annotations

from pathlib import Path

import click

from athena.cli._base import Context, cli, pairs, pass_ctx, table


@cli.group()
def jobs() -> None:
    """Run the allowlisted job notebooks (papermill_jobs/) as recorded, audited jobs."""


@jobs.command("list")
@pass_ctx
def jobs_list(ctx: Context) -> None:
    """Show the allowed jobs and their parameters (from each notebook's parameters cell)."""
    from athena.jobs import catalog

    specs = catalog()
    ctx.emit([{"name": j.name, "params": [{"name": p.name, "type": p.type, "default": p.default, "help": p.help}
                                          for p in j.params]} for j in specs],
             lambda: table([(j.name, p.name, p.type, p.default, p.help) for j in specs for p in j.params],
                           ["JOB", "PARAMETER", "TYPE", "DEFAULT", "HELP"]))


@jobs.command("run")
@click.argument("name")
@click.option("-p", "--param", "params", nargs=2, multiple=True, metavar="NAME VALUE", help="Repeatable.")
@click.option("--timeout", "timeout_s", default=3600, show_default=True, type=click.IntRange(1), help="Seconds.")
@pass_ctx
def jobs_run(ctx: Context, name: str, params: tuple[tuple[str, str], ...], timeout_s: int) -> None:
    """Run a job now and wait for it, e.g. `athena jobs run backtest -p strategy sma_cross -p seed 3`."""
    from tqdm import tqdm

    from athena.jobs import run

    console = ctx.console()
    job = console.start_job(name, dict(params), timeout_s=timeout_s)
    bar = tqdm(total=100, desc=f"{name} {job.id[:12]}", unit="%", disable=ctx.as_json)

    def progress(share: float) -> None:
        bar.update(round(share * 100) - bar.n)

    final = run(console, job, on_progress=progress)
    bar.close()
    ctx.emit(final, lambda: pairs({"job": final.id, "status": final.status, "notebook": final.output_notebook,
                                   "html": final.output_html, "log": final.log_path,
                                   **({"error": final.error} if final.error else {})}))
    if final.status != "succeeded":
        raise SystemExit(1)


@jobs.command("schedule")
@click.argument("name")
@click.option("--cron", required=True, metavar="EXPR", help='Five UTC cron fields, e.g. "0 7 * * *".')
@click.option("-p", "--param", "params", nargs=2, multiple=True, metavar="NAME VALUE", help="Repeatable.")
@click.option("--timeout", "timeout_s", default=3600, show_default=True, type=click.IntRange(1), help="Seconds.")
@pass_ctx
def jobs_schedule(ctx: Context, name: str, cron: str, params: tuple[tuple[str, str], ...], timeout_s: int) -> None:
    """Run a job on a UTC cron schedule; the engine (`athena engine`) queues each fire."""
    schedule = ctx.console().schedule_job(name, cron, dict(params), timeout_s=timeout_s)
    ctx.emit(schedule, lambda: click.echo(f"schedule {schedule.id} {schedule.name} '{schedule.cron}' "
                                          f"next fires {schedule.next_fire_at:%Y-%m-%d %H:%M} UTC"))


@jobs.command("schedules")
@pass_ctx
def jobs_schedules(ctx: Context) -> None:
    """List the job schedules with their next fire time."""
    rows = ctx.console().schedules()
    ctx.emit(rows, lambda: table([(s.id, s.name, s.cron, ",".join(f"{k}={v}" for k, v in s.params.items()),
                                   "paused" if s.paused else "active", f"{s.next_fire_at:%Y-%m-%d %H:%M}",
                                   (s.last_job_id or "")[:12]) for s in rows],
                                 ["ID", "JOB", "CRON", "PARAMS", "STATE", "NEXT FIRE (UTC)", "LAST JOB"]))


@jobs.command("unschedule")
@click.argument("schedule_id", type=int)
@pass_ctx
def jobs_unschedule(ctx: Context, schedule_id: int) -> None:
    """Remove a schedule (jobs it queued already are left alone)."""
    removed = ctx.console().unschedule_job(schedule_id)
    ctx.emit(removed, lambda: click.echo(f"schedule {removed.id} {removed.name} removed"))


@jobs.command("pause-schedule")
@click.argument("schedule_id", type=int)
@pass_ctx
def jobs_pause_schedule(ctx: Context, schedule_id: int) -> None:
    """Stop a schedule firing until it is resumed."""
    paused = ctx.console().pause_schedule(schedule_id)
    ctx.emit(paused, lambda: click.echo(f"schedule {paused.id} {paused.name} paused"))


@jobs.command("resume-schedule")
@click.argument("schedule_id", type=int)
@pass_ctx
def jobs_resume_schedule(ctx: Context, schedule_id: int) -> None:
    """Resume a paused schedule from its next fire after now (fires missed while paused are not run)."""
    resumed = ctx.console().pause_schedule(schedule_id, paused=False)
    ctx.emit(resumed, lambda: click.echo(f"schedule {resumed.id} {resumed.name} resumed; next fires "
                                         f"{resumed.next_fire_at:%Y-%m-%d %H:%M} UTC"))


@jobs.command("status")
@click.argument("job_id", required=False)
@pass_ctx
def jobs_status(ctx: Context, job_id: str | None) -> None:
    """Show one job, or the latest jobs."""
    console = ctx.console()
    if job_id:
        job = console.job(job_id)
        ctx.emit(job, lambda: pairs({k: getattr(job, k) for k in job.__slots__}))
        return
    rows = console.jobs()
    ctx.emit(rows, lambda: table([(j.id[:12], j.name, j.status, f"{j.progress:.0%}", j.requested_by,
                                   f"{j.created_at:%Y-%m-%d %H:%M:%S}") for j in rows],
                                 ["JOB", "NAME", "STATUS", "PROGRESS", "BY", "CREATED (UTC)"]))


@jobs.command("cancel")
@click.argument("job_id")
@pass_ctx
def jobs_cancel(ctx: Context, job_id: str) -> None:
    """Cancel a queued or running job (its kernel is stopped)."""
    console = ctx.console()
    job = console.cancel_job(console.job(job_id).id)
    ctx.emit(job, lambda: click.echo(f"job {job.id[:12]} {job.status}"))


@jobs.command("logs")
@click.argument("job_id")
@pass_ctx
def jobs_logs(ctx: Context, job_id: str) -> None:
    """Print a job's captured output."""
    job = ctx.console().job(job_id)
    path = Path(job.log_path)
    click.echo(path.read_text() if path.exists() else f"no log yet at {path}")


@jobs.command("open")
@click.argument("job_id")
@pass_ctx
def jobs_open(ctx: Context, job_id: str) -> None:
    """Print where a job's executed notebook and HTML report are."""
    job = ctx.console().job(job_id)
    ctx.emit({"notebook": job.output_notebook, "html": job.output_html},
             lambda: pairs({"notebook": job.output_notebook, "html": job.output_html}))


@jobs.command("serve")
@click.option("--max", "slots", type=click.IntRange(1), default=None,
              help="Jobs at once (default ATHENA_JOBS_MAX, else 2).")
@click.option("--poll", "poll_s", default=0.5, show_default=True, type=click.FloatRange(0.05),
              help="Seconds between looks at the queue.")
@pass_ctx
def jobs_serve(ctx: Context, slots: int | None, poll_s: float) -> None:
    """Run every queued job (from dashboards, notebooks or the CLI) until SIGTERM or Ctrl-C."""
    import signal

    from athena.alerts import AlertSender
    from athena.jobs.service import JobsService

    workspace = ctx.workspace()
    service = JobsService(workspace, slots=slots, poll_s=poll_s, log=lambda line: click.echo(line))

    def stop(signum: int, frame: object) -> None:
        service.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # The jobs raise alerts too: send them even when no engine runs (senders share the queue safely).
    with AlertSender(workspace.system("alert-sender").deliver_alerts):
        service.serve()
