"""Jobs: allowlisted papermill notebooks with validated parameters, run as recorded, audited jobs.

Start one with ``console.start_job(name, params)`` and execute it with :func:`run` (the CLI's
``athena jobs run`` does both, with a progress bar).
"""

from athena.jobs.catalog import JobSpec, Param, UnknownJob, catalog, jobs_dir, spec, validate_params
from athena.jobs.runner import notebook_progress, run

__all__ = ["JobSpec", "Param", "UnknownJob", "catalog", "jobs_dir", "notebook_progress", "run", "spec",
           "validate_params"]
