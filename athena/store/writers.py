"""A gate that lets an urgent SQLite write (the kill switch) in ahead of a stream of others.

SQLite makes a writer that finds the database locked sleep and retry (1, 2, 5, ... up to 100 ms
between tries), while the writer that holds the lock commits and takes it again at once. Under
a steady stream of order submissions from other processes a kill switch could wait hundreds of
milliseconds, or seconds, for its turn. So an urgent write first closes a gate: an exclusive
``flock`` on ``<database>-writer.gate``. Every other Athena write checks the gate before it
begins (a shared lock taken and dropped at once) and waits while it is closed, so only the
transactions already under way finish before the urgent one. SQLite's own lock still guards
the data; the gate only orders the turns, and ordinary writers keep SQLite's greedy hand-over,
which is what keeps their throughput. A write that cannot pass the gate within the timeout gets
``StoreUnavailable``, as a SQLite busy timeout would give.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from athena.errors import StoreUnavailable

__all__ = ["WriterGate"]

_POLL_S = 0.0002
# Writers held at a closed gate back off to this: their polling would take the CPU the urgent write needs.
_MAX_WAIT_POLL_S = 0.005


class WriterGate:
    """The urgent-write gate of one SQLite database file."""

    def __init__(self, database: Path, timeout_s: float) -> None:
        self.path = database.with_name(database.name + "-writer.gate")
        self.timeout_s = timeout_s

    @contextmanager
    def urgent(self) -> Iterator[None]:
        """Keep the gate closed to new writes for the duration of the block."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            self._lock(fd, fcntl.LOCK_EX, _POLL_S)
            yield
        finally:
            os.close(fd)

    def wait_open(self) -> None:
        """Return once no urgent write holds the gate."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            self._lock(fd, fcntl.LOCK_SH, _MAX_WAIT_POLL_S)
        finally:
            os.close(fd)

    def _lock(self, fd: int, kind: int, max_poll_s: float) -> None:
        deadline = time.monotonic() + self.timeout_s
        poll = _POLL_S
        while True:
            try:
                fcntl.flock(fd, kind | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreUnavailable(f"{self.path.name} stayed closed for {self.timeout_s:g} s: an urgent "
                                           "write transaction is held open") from None
                time.sleep(poll)
                poll = min(2 * poll, max_poll_s)
