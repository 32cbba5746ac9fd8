"""The cron parser against hand-worked fire times, and its errors naming the field and value."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from athena.jobs.cron import InvalidCron, parse


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fires(expression: str, start: str, count: int) -> list[str]:
    cron, t, out = parse(expression), at(start), []
    for _ in range(count):
        t = cron.next_after(t)
        out.append(t.strftime("%Y-%m-%d %H:%M %a"))
    return out


@pytest.mark.parametrize(("expression", "start", "expected"), [
    # 2026-12-01 is a Tuesday. Daily at 07:00: the fire at exactly 07:00 is not "after" 07:00.
    ("0 7 * * *", "2026-12-01 07:00", ["2026-12-02 07:00 Wed", "2026-12-03 07:00 Thu"]),
    ("0 7 * * *", "2026-12-01 06:59:59", ["2026-12-01 07:00 Tue", "2026-12-02 07:00 Wed"]),
    ("*/20 * * * *", "2026-12-01 23:30", ["2026-12-01 23:40 Tue", "2026-12-02 00:00 Wed", "2026-12-02 00:20 Wed"]),
    ("5,35 9-10 * * *", "2026-12-01 09:40", ["2026-12-01 10:05 Tue", "2026-12-01 10:35 Tue", "2026-12-02 09:05 Wed"]),
    ("0 9-17/4 * * *", "2026-12-01 14:00", ["2026-12-01 17:00 Tue", "2026-12-02 09:00 Wed", "2026-12-02 13:00 Wed"]),
    ("10/25 0 * * *", "2026-12-01 00:00", ["2026-12-01 00:10 Tue", "2026-12-01 00:35 Tue", "2026-12-02 00:10 Wed"]),
    ("30 8 * * MON-FRI", "2026-12-04 09:00", ["2026-12-07 08:30 Mon", "2026-12-08 08:30 Tue"]),
    ("0 0 * * sun", "2026-12-01 00:00", ["2026-12-06 00:00 Sun", "2026-12-13 00:00 Sun"]),
    ("0 0 * * 7", "2026-12-01 00:00", ["2026-12-06 00:00 Sun"]),
    ("0 0 1 JAN,jul *", "2026-12-01 00:00", ["2027-01-01 00:00 Fri", "2027-07-01 00:00 Thu"]),
    ("0 0 31 * *", "2026-12-31 00:00", ["2027-01-31 00:00 Sun", "2027-03-31 00:00 Wed", "2027-05-31 00:00 Mon"]),
    ("0 12 29 2 *", "2026-12-01 00:00", ["2028-02-29 12:00 Tue"]),
    # Both day fields restricted: the 13th OR any Friday (Vixie cron's rule).
    ("0 0 13 * FRI", "2026-11-01 00:00", ["2026-11-06 00:00 Fri", "2026-11-13 00:00 Fri", "2026-11-20 00:00 Fri",
                                           "2026-11-27 00:00 Fri", "2026-12-04 00:00 Fri", "2026-12-11 00:00 Fri",
                                           "2026-12-13 00:00 Sun"]),
    # One day field is '*' (or starts with it): both must match, so only Friday the 13ths.
    ("0 0 13 * */1", "2026-01-01 00:00", ["2026-01-13 00:00 Tue"]),
    ("0 0 1-7 * MON", "2026-11-30 23:59", ["2026-12-01 00:00 Tue", "2026-12-02 00:00 Wed", "2026-12-03 00:00 Thu",
                                           "2026-12-04 00:00 Fri", "2026-12-05 00:00 Sat", "2026-12-06 00:00 Sun",
                                           "2026-12-07 00:00 Mon", "2026-12-14 00:00 Mon"]),
    ("0 0 * 2 MON", "2026-12-01 00:00", ["2027-02-01 00:00 Mon", "2027-02-08 00:00 Mon"]),
])
def test_next_after_when_hand_worked_returns_the_same_fire_times(expression: str, start: str,
                                                                 expected: list[str]) -> None:
    assert fires(expression, start, len(expected)) == expected


@pytest.mark.parametrize(("expression", "message"), [
    ("0 7 * *", "needs 5 fields (minute hour day-of-month month day-of-week), was '0 7 * *' (4 fields)"),
    ("60 7 * * *", "cron field minute must be within 0-59, was '60'"),
    ("0 24 * * *", "cron field hour must be within 0-23, was '24'"),
    ("0 7 0 * *", "cron field day-of-month must be within 1-31, was '0'"),
    ("0 7 * 13 *", "cron field month must be within 1-12, was '13'"),
    ("0 7 * FOO *", "cron field month must be 1-12 or JAN-DEC, was 'FOO'"),
    ("0 7 * * FUN", "cron field day-of-week must be 0-7 or SUN-SAT, was 'FUN'"),
    ("0 7 * * 8", "cron field day-of-week must be within 0-7, was '8'"),
    ("*/0 7 * * *", "cron field minute needs a whole step >= 1 after '/', was '*/0'"),
    ("0 17-9 * * *", "cron field hour range must run low to high, was '17-9'"),
    ("0,,5 7 * * *", "cron field minute has an empty item, was '0,,5'"),
    ("0 0 30 2 *", "'0 0 30 2 *' never fires"),
])
def test_parse_when_malformed_names_the_field_and_value(expression: str, message: str) -> None:
    with pytest.raises(InvalidCron, match=re.escape(message)):
        parse(expression)


@pytest.mark.parametrize(("expression", "message"), [
    ("\u00b2 7 * * *", "cron field minute must be 0-59, was '\u00b2'"),
    ("*/\u00b2 7 * * *", "cron field minute needs a whole step >= 1 after '/', was '*/\u00b2'"),
    (None, "cron expression must be a string, was None"),
    (5, "cron expression must be a string, was 5"),
])
def test_parse_when_not_ascii_digits_or_not_a_string_raises_invalid_cron(expression: object, message: str) -> None:
    with pytest.raises(InvalidCron, match=re.escape(message)):
        parse(expression)  # type: ignore[arg-type]
