"""Builders for tests, notebooks and benchmarks: fast workspaces, users, sample data."""

from athena.testing.workspaces import (
    ADMIN_PASSWORD,
    FAST_KDF,
    TEST_SECURITY,
    append_as_system,
    new_workspace,
    totp_now,
)

__all__ = ["ADMIN_PASSWORD", "FAST_KDF", "append_as_system", "TEST_SECURITY", "new_workspace", "totp_now"]
