"""The job worker process: ``python -m athena.jobs.worker JOB_ID`` runs one notebook with papermill."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from athena.jobs.catalog import spec
from athena.workspace import connect

__all__ = ["export_html", "main"]


def export_html(notebook: Path, html: Path) -> None:
    """Write ``notebook`` as a standalone HTML file without its input prompts."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    html.write_text(body)


def main(job_id: str) -> int:
    """Run the job ``job_id``; return 0 when it succeeded."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from athena.jobs.runner import JOBS_ACTOR

    ws = connect()
    bot = ws.system(JOBS_ACTOR)
    job = bot.job(job_id)
    bot.record_job_state(job.id, "running", pid=os.getpid())
    output = Path(job.output_notebook)
    try:
        papermill.execute_notebook(str(spec(job.name).path), str(output), parameters=job.params, cwd=str(output.parent),
                                   kernel_name="python3", progress_bar=False, log_output=True)
    except PapermillExecutionError as exc:
        export_html(output, Path(job.output_html))
        error = {"cell_index": exc.cell_index, "ename": exc.ename, "evalue": exc.evalue}
        bot.record_job_state(job.id, "failed", error=error)
        bot.raise_alert("critical", f"job:{job.name}",
                        f"job {job.id[:12]} failed in cell {exc.cell_index}: {exc.ename}: {exc.evalue}")
        return 1
    export_html(output, Path(job.output_html))
    bot.record_job_state(job.id, "succeeded")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
