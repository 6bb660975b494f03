"""issues.humane says exactly what Django's own filters say, only faster."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import formats, timezone
from django.utils.timesince import timesince

from issues import humane

AGES = [
    dt.timedelta(seconds=s)
    for s in (0, 1, 2, 59, 60, 61, 119, 120, 3599, 3600, 3601, 7200, 86399, 86400, 90061)
] + [
    dt.timedelta(days=d, hours=h)
    for d in (1, 2, 6, 7, 8, 13, 14, 30, 31, 45, 364, 365, 400, 800)
    for h in (0, 5)
]


@pytest.mark.parametrize("age", AGES, ids=str)
def test_since_and_ago_match_django(age):
    now = timezone.now()
    value = now - age
    assert humane.since(value, now) == timesince(value, now)
    # naturaltime reads the clock itself; a tick between the two calls may change it.
    before = naturaltime(value)
    mine = humane.ago(value)
    assert mine in {before, naturaltime(value)}


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)
        for month, day in ((1, 1), (3, 9), (5, 31), (9, 15), (11, 27), (12, 31))
        for hour, minute in ((0, 0), (0, 5), (9, 0), (11, 59), (12, 0), (12, 30), (23, 45))
    ],
    ids=str,
)
def test_stamp_matches_the_datetime_format(value):
    assert humane.stamp(value) == formats.date_format(value, "DATETIME_FORMAT")


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(year, month, day, hour, 30, 15, tzinfo=zone)
        for zone in (dt.UTC, ZoneInfo("America/New_York"), ZoneInfo("Australia/Adelaide"))
        for year, month, day in ((2024, 1, 31), (2024, 2, 29), (2025, 3, 31), (2026, 8, 31))
        for hour in (0, 23)
    ],
    ids=str,
)
def test_since_matches_django_across_month_ends_and_zones(value):
    """The calendar part: a pivot clamped to a shorter month, leap days, local zones."""
    for now in (
        dt.datetime(2026, 2, 28, 12, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 0, 10, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 28, 23, 59, tzinfo=dt.UTC),
        value + dt.timedelta(days=1, seconds=30),
        value - dt.timedelta(hours=1),
    ):
        assert humane.since(value, now) == timesince(value, now), now
