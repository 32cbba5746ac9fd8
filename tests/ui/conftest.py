"""Fixtures for the dashboard tests.

Object tests get a dashboard session per role over the SQLite workspace. Browser tests get a
control plane served by ``athena up`` (through :func:`athena.runtime.run_up`) in a child process,
Debian's headless Chromium, and a recorder of every failed request and console error. The
benchmark imports this module for the same helpers.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, sync_playwright

from athena.console import Console
from athena.model import Role
from athena.testing import ADMIN_PASSWORD
from athena.ui.state import ShellState
from athena.workspace import Workspace

PASSWORD = "User-Passw0rd-9"


@pytest.fixture
def shell(sqlite_workspace: Workspace) -> ShellState:
    """Return the state of a dashboard tab, logged out."""
    return ShellState(sqlite_workspace)


@pytest.fixture
def log_in(shell: ShellState, admin: Console) -> Callable[[Role], ShellState]:
    """Return a function that logs the tab in as a fresh user of a role (``admin`` for ADMIN)."""

    def go(role: Role) -> ShellState:
        name = "admin"
        password = ADMIN_PASSWORD
        if role is not Role.ADMIN:
            name, password = f"{role.value.lower()}9", PASSWORD
            admin.add_user(name, role, password)
        shell.session.param.update(username=name, password=password)
        assert shell.session.login(), shell.session.message
        return shell

    return go


# ----------------------------------------------------------------- browser harness

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "ui"
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A control plane served by ``run_up`` in a child process."""

    url: str
    home: Path
    proc: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def kernels(self) -> list[psutil.Process]:
        """Return the live kernel processes the server started."""
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        found = []
        for child in children:
            try:
                if "ipykernel_launcher" in " ".join(child.cmdline()):
                    found.append(child)
            except psutil.NoSuchProcess:
                continue
        return found

    def athena(self, *args: str, stdin: str | None = None) -> str:
        """Run the ``athena`` CLI on this workspace in another process; return its output."""
        env = {**os.environ, "ATHENA_HOME": str(self.home)}
        done = subprocess.run([str(Path(sys.executable).with_name("athena")), *args], input=stdin, env=env,
                              capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise AssertionError(f"athena {' '.join(args)} exited {done.returncode}: {done.stdout}{done.stderr}")
        return done.stdout


@contextmanager
def engine(home: Path, tick_s: float = 0.25) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``athena engine`` on the workspace (as ``athena up`` does) until the block ends, then SIGTERM it."""
    env = {**os.environ, "ATHENA_HOME": str(home)}
    with (home / "engine-test.log").open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "athena", "engine", "--tick", str(tick_s)], env=env,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


@contextmanager
def jobs_service(home: Path, poll_s: float = 0.2) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``athena jobs serve`` on the workspace (as ``athena up`` does) until the block ends, then SIGTERM it."""
    env = {**os.environ, "ATHENA_HOME": str(home)}
    with (home / "jobs-test.log").open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "athena", "jobs", "serve", "--poll", str(poll_s)], env=env,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


@contextmanager
def serve(home: Path, server: str = "voila", port: int | None = None,
          env: dict[str, str] | None = None) -> Iterator[Served]:
    """Run ``athena up`` (through :func:`athena.runtime.run_up`) until the block ends, then SIGTERM it.

    Combine with :func:`engine` and :func:`jobs_service` for what ``athena up`` starts beside the dashboards.
    """
    port = port or free_port()
    code = ("import sys; from pathlib import Path; from athena.runtime import run_up; "
            f"sys.exit(run_up(home=Path({str(home)!r}), db_url=None, server={server!r}, port={port}))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, cwd=REPO, start_new_session=True, env={**os.environ, **(env or {})})
    assert proc.stdout is not None
    served = Served(f"http://127.0.0.1:{port}/", home, proc)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            served.output.append(line)
            if "Athena control plane" in line:
                break
        if proc.poll() is not None:
            raise RuntimeError("athena up exited early:\n" + "".join(served.output))
    else:
        proc.kill()
        raise RuntimeError("athena up did not become ready:\n" + "".join(served.output))
    try:
        yield served
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
        served.output.append(rest)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Yield Debian's headless Chromium (never a downloaded browser build)."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watch:
    """Every failed request, HTTP error and console error a page produced."""

    problems: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> Page:
        """Start recording ``page``; return it."""
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        page.on("console", self._console)
        return page

    def _failed(self, request: Request) -> None:
        # Voila's unload beacon outlives the page it leaves; Chromium reports it aborted even though the
        # server got it (a refusal would still show as an HTTP error).
        beacon = "/voila/api/shutdown/" in request.url and request.failure == "net::ERR_ABORTED"
        if not request.url.startswith("data:") and not beacon:
            self.problems.append(f"request failed: {request.url[:160]} {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url[:160]}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text[:300]}")


def open_login(page: Page, url: str) -> None:
    """Open the control plane and wait for its login page."""
    page.goto(url, wait_until="commit")
    page.get_by_role("button", name="Sign in").wait_for(timeout=45_000)


def sign_in(page: Page, url: str | None, username: str, password: str) -> None:
    """Sign in, first opening ``url`` unless it is None (the login page is already shown)."""
    if url is not None:
        open_login(page, url)
    page.get_by_placeholder("username").fill(username)
    page.get_by_placeholder("password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Log out").wait_for(timeout=15_000)


def shoot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under ``tests/artifacts/ui``; return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Yield one headless Chromium per test module."""
    with chromium() as b:
        yield b


@pytest.fixture
def watch() -> Watch:
    """Return a recorder of failed requests and console errors."""
    return Watch()


@pytest.fixture
def page(browser: Browser, watch: Watch) -> Iterator[Page]:
    """Yield a fresh tab (own context, 1440x900) that records its problems."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    yield watch.attach(context.new_page())
    context.close()


class Ui:
    """The browser helpers, handed out by the ``ui`` fixture (test modules cannot import conftest)."""

    artifacts = ARTIFACTS
    open_login = staticmethod(open_login)
    sign_in = staticmethod(sign_in)
    shoot = staticmethod(shoot)
    serve = staticmethod(serve)
    engine = staticmethod(engine)
    jobs_service = staticmethod(jobs_service)


@pytest.fixture(scope="session")
def ui() -> type[Ui]:
    """Return the browser helpers."""
    return Ui
