"""Throw-away PostgreSQL schemas for tests and benchmarks (``ATHENA_TEST_PG_URL``)."""

from __future__ import annotations

import os
import uuid
from urllib.parse import quote

from sqlalchemy import create_engine, text

__all__ = ["PG_URL", "create_schema", "drop_schema", "postgres_unavailable"]

PG_URL = os.environ.get("ATHENA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _engine_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def postgres_unavailable(url: str = PG_URL) -> str | None:
    """Return why PostgreSQL at ``url`` cannot be used, or None when it answers."""
    engine = create_engine(_engine_url(url), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {url} ({type(exc).__name__}); set ATHENA_TEST_PG_URL"
    finally:
        engine.dispose()
    return None


def create_schema(prefix: str = "athena_t", url: str = PG_URL) -> tuple[str, str]:
    """Create a fresh schema; return its name and a URL whose search_path is that schema."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(_engine_url(url))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return schema, f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


def drop_schema(schema: str, url: str = PG_URL) -> None:
    """Drop ``schema`` and everything in it."""
    engine = create_engine(_engine_url(url))
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()
