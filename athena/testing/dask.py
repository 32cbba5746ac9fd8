"""A real Dask scheduler and worker as subprocesses on 127.0.0.1, for tests of the cluster paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["dask_cluster"]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def dask_cluster(nthreads: int = 2, timeout_s: float = 60.0) -> Iterator[str]:
    """Start ``dask scheduler`` and one ``dask worker`` on free local ports; yield the scheduler address.

    The worker inherits this process's environment (so it imports the same ``athena``).
    """
    with tempfile.TemporaryDirectory() as tmp:
        info = Path(tmp) / "scheduler.json"
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                      "--port", "0", "--no-dashboard", "--scheduler-file", str(info)],
                                     env=os.environ.copy(), **quiet)  # type: ignore[call-overload]
        worker: subprocess.Popen[bytes] | None = None
        try:
            deadline = time.monotonic() + timeout_s
            while not info.exists():
                if scheduler.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the Dask scheduler did not start")
                time.sleep(0.1)
            address = str(json.loads(info.read_text())["address"])
            worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                       "--host", "127.0.0.1", "--nthreads", str(nthreads), "--no-dashboard",
                                       "--no-nanny", "--local-directory", tmp],
                                      env=os.environ.copy(), **quiet)  # type: ignore[call-overload]
            from athena.config import dask_client

            with dask_client(address) as client:
                client.wait_for_workers(1, timeout=timeout_s)
            yield address
        finally:
            if worker is not None:
                _stop(worker)
            _stop(scheduler)
