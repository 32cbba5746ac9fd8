"""Five-field cron expressions in UTC: parse them and find the next time they fire.

Fields are minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC) and day of
week (0-7 or SUN-SAT, 0 and 7 both Sunday). Each field is ``*``, a value, a range ``a-b``, a step
``*/n``, ``a-b/n`` or ``a/n`` (from ``a`` to the field's end), or a comma list of those. As in
Vixie cron, when both day fields are restricted (neither starts with ``*``) a day matches if
*either* matches; otherwise both must.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from athena.errors import InvalidInput

__all__ = ["HORIZON", "Cron", "InvalidCron", "parse"]

_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}
_NO_NAMES: dict[str, int] = {}
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, _NO_NAMES), ("hour", 0, 23, _NO_NAMES), ("day-of-month", 1, 31, _NO_NAMES),
    ("month", 1, 12, _MONTHS), ("day-of-week", 0, 7, _DAYS))
#: Any expression :func:`parse` accepts fires within this long (29 February can be 8 years away).
HORIZON = timedelta(days=366 * 9)


class InvalidCron(InvalidInput):
    """A cron expression is malformed or never fires."""


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed cron expression: the allowed values of each field."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool
    weekdays_restricted: bool

    def _day_matches(self, day: datetime) -> bool:
        by_date = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return by_date or by_weekday
        return by_date and by_weekday

    def next_after(self, when: datetime) -> datetime:
        """Return the first fire time strictly after ``when`` (aware, UTC, whole minutes).

        Raises
        ------
        InvalidInput
            ``when`` is naive.
        """
        if when.tzinfo is None:
            raise InvalidInput(f"cron times are aware UTC datetimes, was naive {when.isoformat()}")
        t = when.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = t + HORIZON
        while t < limit:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            elif not self._day_matches(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
            elif t.minute not in self.minutes:
                t += timedelta(minutes=1)
            else:
                return t
        raise InvalidCron(f"cron expression {self.expression!r} never fires")


def _value(text: str, field: str, low: int, high: int, names: dict[str, int]) -> int:
    number = names.get(text.upper()) if names else None
    if number is None:
        if not (text.isascii() and text.isdigit()):
            spelled = f" or {min(names, key=names.__getitem__)}-{max(names, key=names.__getitem__)}" if names else ""
            raise InvalidCron(f"cron field {field} must be {low}-{high}{spelled}, was {text!r}")
        number = int(text)
    if not low <= number <= high:
        raise InvalidCron(f"cron field {field} must be within {low}-{high}, was {text!r}")
    return number


def _field(text: str, field: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not (step_text.isascii() and step_text.isdigit()) or int(step_text) < 1:
                raise InvalidCron(f"cron field {field} needs a whole step >= 1 after '/', was {part!r}")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, field, low, high, names), _value(last, field, low, high, names)
            if start > end:
                raise InvalidCron(f"cron field {field} range must run low to high, was {part!r}")
        elif base:
            start = _value(base, field, low, high, names)
            end = high if slash else start
        else:
            raise InvalidCron(f"cron field {field} has an empty item, was {text!r}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse(expression: str) -> Cron:
    """Parse a five-field cron expression, e.g. ``"0 7 * * MON-FRI"``.

    Raises
    ------
    InvalidCron
        The expression has the wrong number of fields, a field holds a bad value (the message names
        the field and the value), or it can never fire (such as ``0 0 30 2 *``).
    """
    if not isinstance(expression, str):
        raise InvalidCron(f"cron expression must be a string, was {expression!r}")
    parts = expression.split()
    if len(parts) != 5:
        raise InvalidCron(f"cron expression needs 5 fields (minute hour day-of-month month day-of-week), "
                          f"was {expression!r} ({len(parts)} fields)")
    sets = [_field(text, name, low, high, names) for text, (name, low, high, names) in zip(parts, _FIELDS,
                                                                                             strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    cron = Cron(" ".join(parts), sets[0], sets[1], sets[2], sets[3], weekdays,
                days_restricted=not parts[2].startswith("*"), weekdays_restricted=not parts[4].startswith("*"))
    if not cron.weekdays_restricted:
        longest = max(29 if m == 2 else calendar.monthrange(2023, m)[1] for m in cron.months)
        if min(cron.days) > longest:
            raise InvalidCron(f"cron expression {cron.expression!r} never fires "
                              f"(day-of-month {parts[2]} is past the end of month {parts[3]})")
    return cron
