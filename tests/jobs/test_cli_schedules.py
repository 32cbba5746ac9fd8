"""``athena jobs schedule / schedules / pause-schedule / resume-schedule / unschedule`` as a user runs them."""

from __future__ import annotations

import json

from athena.testing.cli import Run


def test_schedule_cli_when_used_creates_lists_pauses_and_removes_and_refuses_bad_input(admin_cli: Run) -> None:
    bad = admin_cli("jobs", "schedule", "daily_report", "--cron", "0 7 * * FUN", ok=False)
    assert bad.returncode == 2 and "cron field day-of-week must be 0-7 or SUN-SAT, was 'FUN'" in bad.stderr
    wrong = admin_cli("jobs", "schedule", "daily_report", "--cron", "0 7 * * *", "-p", "dya", "x", ok=False)
    assert wrong.returncode == 2 and "did you mean 'day'" in wrong.stderr
    made = json.loads(admin_cli("--json", "jobs", "schedule", "daily_report", "--cron", "0 7 * * MON-FRI",
                                "-p", "day", "2026-01-02").stdout)
    assert (made["name"], made["cron"], made["params"]) == ("daily_report", "0 7 * * MON-FRI", {"day": "2026-01-02"})
    assert made["next_fire_at"][11:16] == "07:00"
    listed = admin_cli("jobs", "schedules").stdout
    assert "daily_report" in listed and "0 7 * * MON-FRI" in listed and "NEXT FIRE (UTC)" in listed
    assert f"schedule {made['id']} daily_report paused" in admin_cli("jobs", "pause-schedule", str(made["id"])).stdout
    assert "resumed; next fires" in admin_cli("jobs", "resume-schedule", str(made["id"])).stdout
    assert "removed" in admin_cli("jobs", "unschedule", str(made["id"])).stdout
    assert json.loads(admin_cli("--json", "jobs", "schedules").stdout) == []
