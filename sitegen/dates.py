"""Date parsing and formatting for front matter and feeds. Pure functions."""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo
from email.utils import format_datetime

_OFFSET_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_date(value: object, tz: tzinfo) -> datetime | None:
    """An ISO 8601 date or date-time (as YAML or a curator writes it) as an aware datetime.

    Date-only values and naive times are in ``tz``. Accepts ``Z``, offsets without a colon
    (``+0100``) and a space instead of ``T``. Returns None when the value is not a date.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        text = _OFFSET_NO_COLON.sub(r"\1:\2", text) if "T" in text or " " in text else text
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=tz)
    return parsed.astimezone(tz)


def is_midnight(moment: datetime) -> bool:
    return moment.time() == time()


def iso(moment: datetime) -> str:
    """RFC 3339 / ISO 8601 with offset, seconds precision: ``2023-11-01T00:00:00+00:00``."""
    return moment.isoformat(timespec="seconds")


def front_matter_date(moment: datetime) -> str:
    """How the importer writes a date: date-only at local midnight, else full ISO."""
    return moment.date().isoformat() if is_midnight(moment) else iso(moment)


def rfc822(moment: datetime) -> str:
    """RSS 2.0 date: ``Wed, 01 Nov 2023 00:00:00 +0000``."""
    return format_datetime(moment)


def human(moment: datetime, fmt: str = "%B %-d, %Y") -> str:
    """A reader-facing date; ``%-d`` (day without padding) works on every platform here."""
    return moment.strftime(fmt.replace("%-d", str(moment.day)))
