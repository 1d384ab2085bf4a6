"""Dates in front matter: ISO 8601 in its real-world spellings, always with a timezone."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sitegen import dates

TZ = ZoneInfo("Europe/Madrid")


def test_date_only_and_naive_times_are_in_the_site_timezone():
    assert dates.parse_date("2023-11-01", TZ) == datetime(2023, 11, 1, tzinfo=TZ)
    assert dates.parse_date("2023-11-01 14:05", TZ) == datetime(2023, 11, 1, 14, 5, tzinfo=TZ)


def test_offsets_in_every_spelling():
    expected = datetime(2021, 11, 1, 9, 52, 50, tzinfo=timezone.utc)
    for text in ("2021-11-01T10:52:50+01:00", "2021-11-01T10:52:50+0100", "2021-11-01T09:52:50Z"):
        assert dates.parse_date(text, TZ) == expected


def test_not_a_date():
    for value in ("yesterday", "2023-13-45", None, ["2023-01-01"], 12):
        assert dates.parse_date(value, TZ) is None


def test_formats():
    moment = datetime(2023, 11, 1, tzinfo=timezone.utc)
    assert dates.iso(moment) == "2023-11-01T00:00:00+00:00"
    assert dates.rfc822(moment) == "Wed, 01 Nov 2023 00:00:00 +0000"
    assert dates.human(moment) == "November 1, 2023"
    assert dates.front_matter_date(moment) == "2023-11-01"
