from __future__ import annotations

import pytest

from athena.auth import PasswordPolicy, generate_password
from athena.errors import WeakPassword
from athena.testing import FAST_KDF

POLICY = PasswordPolicy(12, FAST_KDF)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short1A", "it has 7 characters"),
        ("onlyletterspassword", "it has no digit"),
        ("123456789012345", "it has no letter"),
        ("alice-Passw0rd-12", "it contains the username"),
    ],
)
def test_check_when_weak_states_problem_and_rule(password: str, problem: str) -> None:
    with pytest.raises(WeakPassword) as info:
        POLICY.check(password, "alice")
    assert problem in str(info.value)
    assert "the rule is at least 12 characters" in str(info.value)


def test_hash_when_verified_accepts_only_the_password() -> None:
    stored = POLICY.hash("Correct-Horse-9")
    assert stored.startswith("$argon2id$")
    assert POLICY.verify(stored, "Correct-Horse-9")
    assert not POLICY.verify(stored, "Correct-Horse-8")
    assert not POLICY.verify("not-a-hash", "Correct-Horse-9")


def test_generate_password_when_checked_satisfies_rule() -> None:
    for _ in range(50):
        POLICY.check(generate_password(), "alice")
