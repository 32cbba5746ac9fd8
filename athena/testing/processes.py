"""Find processes by their environment, for tests that check nothing of a job is left running."""

from __future__ import annotations

from pathlib import Path

__all__ = ["kernels_of"]


def kernels_of(pid: int) -> list[int]:
    """Return live processes whose environment names ``pid`` as their Jupyter parent (a job's kernels)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if f"JPY_PARENT_PID={pid}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found
