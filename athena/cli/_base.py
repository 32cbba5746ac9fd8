"""Shared pieces of the command: context, output helpers, the root group."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import click

from athena.config import Settings
from athena.console import Console
from athena.errors import InvalidParameter
from athena.workspace import Workspace

__all__ = ["EXIT_BROKEN", "EXIT_DENIED", "EXIT_ERROR", "EXIT_INPUT", "Context", "cli", "pass_ctx"]

EXIT_ERROR, EXIT_INPUT, EXIT_DENIED, EXIT_BROKEN = 1, 2, 3, 4
SESSION_FILE = "cli-session.json"


@dataclasses.dataclass
class Context:
    home: str | None
    db_url: str | None
    as_json: bool

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.home, self.db_url)

    def workspace(self) -> Workspace:
        return Workspace.open(self.settings)

    def console(self) -> Console:
        ws = self.workspace()
        token = os.environ.get("ATHENA_TOKEN") or saved_token(self.settings.home)
        if not token:
            raise click.ClickException("not logged in; run `athena login USERNAME`")
        return ws.resume(token)

    def emit(self, data: Any, human: Callable[[], None]) -> None:
        if self.as_json:
            click.echo(json.dumps(plain(data), indent=2, sort_keys=True))
        else:
            human()


def plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def saved_token(home: Path) -> str | None:
    path = home / SESSION_FILE
    if not path.exists():
        return None
    token = json.loads(path.read_text()).get("token")
    return str(token) if token else None


def save_session(home: Path, username: str, token: str) -> None:
    path = home / SESSION_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"username": username, "token": token}, fh)


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))


def parse_params(values: tuple[str, ...]) -> dict[str, object]:
    """Turn repeated ``NAME=VALUE`` options into a dict (values stay strings)."""
    out: dict[str, object] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidParameter(f"parameters are NAME=VALUE, was {item!r}")
        out[name.strip()] = value.strip()
    return out


def pairs(data: dict[str, Any]) -> None:
    for name, value in data.items():
        click.echo(f"{name:16} {value}")


def read_secret(prompt: str, from_stdin: bool, confirm: bool = False) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", envvar="ATHENA_HOME", help="Workspace directory (default ./.athena).")
@click.option("--db-url", envvar="ATHENA_DB_URL", help="Database URL (default SQLite in the workspace).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def cli(ctx: click.Context, home: str | None, db_url: str | None, as_json: bool) -> None:
    """Athena: research and operations for quantitative trading."""
    ctx.obj = Context(home, db_url, as_json)


