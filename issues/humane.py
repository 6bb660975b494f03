"""Dates for people, fast: the same English text as Django's `timesince`, humanize's
`naturaltime` and the en-us DATETIME_FORMAT, without the per-call translation lookups
that made them most of the cost of a 50-row list (tests/issues/test_humane.py compares
them with Django's over a range of times). The app speaks English only (LANGUAGE_CODE);
a translated UI would go back to Django's functions."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.timesince import timesince


class _Unit:
    """What `timesince` expects of a time string: `unit % {"num": n}`."""

    def __init__(self, one: str, many: str):
        self.one, self.many = one, many

    def __mod__(self, params: dict) -> str:
        n = params["num"]
        return f"{n} {self.one if n == 1 else self.many}"


_UNITS = {
    name: _Unit(name, name + "s") for name in ("year", "month", "week", "day", "hour", "minute")
}


def since(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """`{{ value|timesince }}`: "3 days, 5 hours" (non-breaking spaces inside a part)."""
    return timesince(value, now, time_strings=_UNITS)


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
