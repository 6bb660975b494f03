"""Dates for people, fast: the same English text as Django's `timesince`, humanize's
`naturaltime` and the en-us DATETIME_FORMAT, without the per-call translation lookups
that made them most of the cost of a 50-row list (tests/issues/test_humane.py compares
them with Django's over a range of times). The app speaks English only (LANGUAGE_CODE);
a translated UI would go back to Django's functions."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

_UNITS = ("year", "month", "week", "day", "hour", "minute")
_CHUNKS = (7 * 86400, 86400, 3600, 60)  # week, day, hour, minute
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _part(n: int, unit: str) -> str:
    return f"{n}\xa0{unit}" if n == 1 else f"{n}\xa0{unit}s"


def since(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """`{{ value|timesince }}`: "3 days, 5 hours" (non-breaking spaces inside a part).
    Django's algorithm step for step (calendar years and months up to a pivot, then
    weeks, days, hours, minutes; at most two adjacent parts), without its lazy
    translations and `avoid_wrapping`, which were most of a list row's cost."""
    if now is None:
        now = timezone.now()
    if now.tzinfo is not None and value.tzinfo is not None:
        now = now.astimezone(value.tzinfo)
    delta = now - value
    if delta.days * 86400 + delta.seconds <= 0:
        return "0\xa0minutes"
    months = (now.year - value.year) * 12 + (now.month - value.month)
    if value.day > now.day or (value.day == now.day and value.time() > now.time()):
        months -= 1
    years, months = divmod(months, 12)
    pivot = value
    if years or months:
        year, month = value.year + years, value.month + months
        if month > 12:
            year, month = year + 1, month - 12
        day = min(_MONTH_DAYS[month - 1], value.day)
        pivot = dt.datetime(year, month, day, value.hour, value.minute, value.second,
                            tzinfo=value.tzinfo)  # fmt: skip
    remaining = (now - pivot).total_seconds()
    parts = [years, months]
    for chunk in _CHUNKS:
        count = int(remaining // chunk)
        parts.append(count)
        remaining -= chunk * count
    first = next((i for i, n in enumerate(parts) if n), None)
    if first is None:
        return "0\xa0minutes"
    text = _part(parts[first], _UNITS[first])
    if first + 1 < len(parts) and parts[first + 1]:
        text += ", " + _part(parts[first + 1], _UNITS[first + 1])
    return text


def _count(n: int, one: str, unit: str, tail: str) -> str:
    return f"{one} {tail}" if n == 1 else f"{n}\xa0{unit}s {tail}"


def ago(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """`{{ value|naturaltime }}` for past times: "now", "a minute ago", "5 hours ago",
    "2 days, 3 hours ago"; future times go to humanize itself (rare in a list)."""
    now = now or timezone.now()
    if value >= now:
        from django.contrib.humanize.templatetags.humanize import naturaltime

        return naturaltime(value)
    delta = now - value
    if delta.days:
        return f"{since(value, now)} ago"
    seconds = delta.seconds
    if seconds == 0:
        return "now"
    if seconds < 60:
        return _count(seconds, "a second", "second", "ago")
    if seconds < 3600:
        return _count(seconds // 60, "a minute", "minute", "ago")
    return _count(seconds // 3600, "an hour", "hour", "ago")


_MONTHS_AP = (
    "Jan.", "Feb.", "March", "April", "May", "June",
    "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
)  # fmt: skip


def stamp(value: dt.datetime) -> str:
    """The en-us DATETIME_FORMAT ("N j, Y, P"): "Nov. 27, 2026, 7:25 a.m.", with
    "midnight" and "noon", and the minutes left out on the hour."""
    hour, minute = value.hour, value.minute
    if minute == 0 and hour in (0, 12):
        time = "midnight" if hour == 0 else "noon"
    else:
        h12 = hour % 12 or 12
        time = f"{h12}:{minute:02d}" if minute else str(h12)
        time += " a.m." if hour < 12 else " p.m."
    return f"{_MONTHS_AP[value.month - 1]} {value.day}, {value.year}, {time}"
