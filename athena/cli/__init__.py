"""The ``athena`` command: a thin face over Console, for operators and scripts.

Human-readable output by default, ``--json`` for scripts. Errors go to stderr with exit code
2 for bad input, 3 for refused (not allowed) actions, 4 for a broken audit chain and 1 for
anything else.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click

from athena.cli import (
    _alerts,
    _audit,
    _engine,
    _identity,
    _jobs,
    _mandates,
    _research,
    _strategies,
    _stress,
    _trading,
    _up,
    _venues,
)
from athena.cli._base import EXIT_DENIED, EXIT_ERROR, EXIT_INPUT, cli
from athena.errors import AthenaError, InvalidInput, NotAllowed

__all__ = ["cli", "main"]

# Importing the command modules attaches their commands to the root group.
_COMMANDS = (_alerts, _audit, _engine, _identity, _jobs, _mandates, _research, _strategies, _stress, _trading, _up,
             _venues)

@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except NotAllowed as exc:
        click.echo(f"error: not allowed: {exc}", err=True)
        sys.exit(EXIT_DENIED)
    except InvalidInput as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    except AthenaError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``athena`` command."""
    with _errors():
        cli.main(args=list(argv) if argv is not None else None, prog_name="athena", standalone_mode=True)
