"""``athena up``: start the processes an operator needs, and stop all of them together.

For now that is one dashboard server (Voila, or ``panel serve`` of the same notebook) on
``127.0.0.1``. The child runs in its own process group with the workspace in its
environment (``ATHENA_HOME``, ``ATHENA_DB_URL``) and the Voila configuration and template
that ship in ``athena/ui/voila`` on its Jupyter paths. Ctrl-C or SIGTERM stops the group
and any kernel it left behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Literal

import psutil

from athena.config import Settings
from athena.errors import InvalidConfig, Unavailable
from athena.workspace import Workspace

__all__ = ["DashboardServer", "Server", "build_server", "run_up"]

Server = Literal["voila", "panel"]

HOST = "127.0.0.1"
NOTEBOOK = "control_plane.ipynb"
STOP_GRACE_S = 10.0
READY_TIMEOUT_S = 60.0
POOL_FILLED = b"is filled with"
SETTLE_PROBE_S = 0.5
SETTLED_CPU_PERCENT = 10.0

_PACKAGE = Path(__file__).resolve().parents[1]
VOILA_DIR = _PACKAGE / "ui" / "voila"


@dataclass(frozen=True)
class DashboardServer:
    """The command, environment and address of one dashboard server process."""

    kind: Server
    argv: tuple[str, ...]
    env: dict[str, str]
    url: str
    port: int


def dashboards_dir() -> Path:
    """Return the ``dashboards/`` directory next to the package (a source checkout)."""
    here = _PACKAGE.parent / "dashboards"
    if not (here / NOTEBOOK).is_file():
        raise InvalidConfig(f"dashboard notebook {here / NOTEBOOK} not found; run from an Athena checkout")
    return here


def _prepend(path: Path, existing: str | None) -> str:
    return os.pathsep.join([str(path), *([existing] if existing else [])])


def build_server(settings: Settings, server: Server, port: int, *, explicit_db_url: bool) -> DashboardServer:
    """Describe the dashboard server for ``settings`` without starting it.

    Parameters
    ----------
    settings
        The workspace settings; the child gets them through ``ATHENA_HOME``/``ATHENA_DB_URL``.
    server
        ``"voila"`` or ``"panel"``.
    port
        TCP port on 127.0.0.1.
    explicit_db_url
        Whether to pass the database URL on (otherwise the child derives it from the home).

    Returns
    -------
    DashboardServer
        What to run and where it will listen.
    """
    if not 0 < port < 65536:
        raise InvalidConfig(f"port must be within 1..65535, was {port}")
    notebook = dashboards_dir() / NOTEBOOK
    env = dict(os.environ)
    env["ATHENA_HOME"] = str(settings.home)
    if explicit_db_url:
        env["ATHENA_DB_URL"] = settings.db_url
    env["PYTHONUNBUFFERED"] = "1"
    if server == "voila":
        env["JUPYTER_PATH"] = _prepend(VOILA_DIR / "share", env.get("JUPYTER_PATH"))
        env["JUPYTER_CONFIG_PATH"] = _prepend(VOILA_DIR / "config", env.get("JUPYTER_CONFIG_PATH"))
        argv: tuple[str, ...] = (sys.executable, "-m", "voila", str(notebook), f"--port={port}", f"--Voila.ip={HOST}",
                "--Voila.port_retries=0", "--no-browser")
        return DashboardServer(server, argv, env, f"http://{HOST}:{port}/", port)
    if server == "panel":
        argv = (sys.executable, "-m", "panel", "serve", str(notebook), "--address", HOST, "--port", str(port),
                "--allow-websocket-origin", f"{HOST}:{port}", "--allow-websocket-origin", f"localhost:{port}",
                "--index", notebook.stem)
        return DashboardServer(server, argv, env, f"http://{HOST}:{port}/", port)
    raise InvalidConfig(f"server must be 'voila' or 'panel', was {server!r}")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.NoSuchProcess:
        return []


def stop_process_tree(proc: subprocess.Popen[bytes], grace_s: float = STOP_GRACE_S) -> None:
    """Stop ``proc``'s process group, then any descendant that outlived it (kernels).

    Parameters
    ----------
    proc
        A child started with ``start_new_session=True``.
    grace_s
        Seconds to wait after SIGTERM before SIGKILL.
    """
    known = _descendants(proc.pid)
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    alive = [p for p in known if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for child in alive:
        child.terminate()
    _, still = psutil.wait_procs(alive, timeout=grace_s)
    for child in still:
        child.kill()


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _pool_filled(log: Path, offset: int) -> bool:
    with log.open("rb") as fh:
        fh.seek(offset)
        return POOL_FILLED in fh.read()


def _kernels_settled(pid: int) -> bool:
    """Return whether the preheated kernels finished running the notebook (their CPU has gone quiet)."""
    kernels = []
    for child in _descendants(pid):
        try:
            if "ipykernel" in " ".join(child.cmdline()):
                kernels.append(child)
        except psutil.Error:
            continue
    for kernel in kernels:
        kernel.cpu_percent(None)
    time.sleep(SETTLE_PROBE_S)
    busy = 0.0
    for kernel in kernels:
        try:
            busy += kernel.cpu_percent(None)
        except psutil.Error:
            continue
    return bool(kernels) and busy < SETTLED_CPU_PERCENT


def _wait_ready(proc: subprocess.Popen[bytes], spec: DashboardServer, stop: threading.Event, log: Path,
                offset: int) -> bool:
    """Wait until the server listens and, for Voila, until its preheated kernels have run the notebook.

    Announcing the URL earlier would make the first operator wait for the pool (about 10 s here).
    """
    deadline = time.monotonic() + READY_TIMEOUT_S
    listening = False
    while time.monotonic() < deadline and not stop.is_set():
        if proc.poll() is not None:
            raise Unavailable(f"dashboard server exited with code {proc.returncode} before serving; see {log}")
        listening = listening or _listening(spec.port)
        if listening and (spec.kind != "voila" or (_pool_filled(log, offset) and _kernels_settled(proc.pid))):
            return True
        time.sleep(0.1)
    if stop.is_set():
        return False
    if listening:
        return True
    raise Unavailable(f"dashboard server did not listen on {HOST}:{spec.port} within {READY_TIMEOUT_S:.0f} s; "
                      f"see {log}")


def _announce(out: IO[str], spec: DashboardServer, settings: Settings, log: Path) -> None:
    print(f"Athena control plane ({spec.kind}) at {spec.url}", file=out)
    print(f"  workspace {settings.home}", file=out)
    print("  log in with a workspace user: the first ADMIN is 'admin' with the password `athena init` printed;",
          file=out)
    print("  add more with `athena users add NAME --role VIEWER|QUANT|TRADER|RISK|ADMIN`", file=out)
    print(f"  server log {log}; press Ctrl-C to stop", file=out, flush=True)


def run_up(
    *,
    home: Path | None,
    db_url: str | None,
    server: Server = "voila",
    port: int = 8866,
    ready: Callable[[str], None] | None = None,
) -> int:
    """Serve the control plane until Ctrl-C or SIGTERM, then stop every child process.

    Parameters
    ----------
    home
        Workspace directory (default ``$ATHENA_HOME`` or ``./.athena``); must be initialised.
    db_url
        Database URL (default ``$ATHENA_DB_URL`` or the workspace's SQLite file).
    server
        ``"voila"`` (default) or ``"panel"`` for ``panel serve`` of the same notebook.
    port
        TCP port on 127.0.0.1; a busy port is an error, never silently replaced.
    ready
        Called with the URL once the server accepts connections.

    Returns
    -------
    int
        0 after a requested stop; the server's exit code if it stopped by itself.
    """
    settings = Settings.from_env(home, db_url)
    Workspace.open(settings).close()
    spec = build_server(settings, server, port, explicit_db_url=db_url is not None
                        or "ATHENA_DB_URL" in os.environ)
    if not _port_free(port):
        raise InvalidConfig(f"port {port} on {HOST} is in use; stop what uses it or pass another --port")
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.log_dir / f"{spec.kind}.log"
    stop = threading.Event()
    offset = log_path.stat().st_size if log_path.exists() else 0
    with _stop_on_signals(stop), log_path.open("ab") as log:
        proc = subprocess.Popen(spec.argv, env=spec.env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            if _wait_ready(proc, spec, stop, log_path, offset):
                _announce(sys.stdout, spec, settings, log_path)
                if ready is not None:
                    ready(spec.url)
            while not stop.is_set():
                if proc.poll() is not None:
                    print(f"dashboard server exited with code {proc.returncode}; see {log_path}", file=sys.stderr)
                    return proc.returncode or 1
                stop.wait(0.2)
        finally:
            stop_process_tree(proc)
    print("Athena stopped.", flush=True)
    return 0
