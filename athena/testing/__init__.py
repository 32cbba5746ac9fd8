"""Builders for tests, notebooks and benchmarks: fast workspaces, users, sample data."""

from athena.testing.bars import bar_frame, bars_from_closes, goog, sample_bars
from athena.testing.workspaces import (
    ADMIN_PASSWORD,
    FAST_KDF,
    TEST_SECURITY,
    append_as_system,
    new_workspace,
    totp_now,
)

__all__ = [
    "ADMIN_PASSWORD",
    "FAST_KDF",
    "TEST_SECURITY",
    "append_as_system",
    "bar_frame",
    "bars_from_closes",
    "goog",
    "new_workspace",
    "sample_bars",
    "totp_now",
]
