"""WARC-Date values as naive UTC datetimes, in the forms archive writers actually use."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

# What writers put in WARC-Date besides what fromisoformat reads (on every Python version): any number
# of fraction digits, no separators (ARC-style 14 digits), a space before the zone.
_LOOSE_DATE = re.compile(r"(\d{4})-?(\d\d)-?(\d\d)(?:[T ]?(\d\d):?(\d\d)(?::?(\d\d)(?:[.,](\d*))?)?)?\s*(Z|[+-]\d\d:?\d\d)?", re.I)


@lru_cache(maxsize=4096)  # a crawler writes many records per second: most WARC-Dates repeat a recent one
def parse_warc_date(value: str | None) -> datetime | None:
    """WARC-Date as naive UTC; None when absent, unreadable, or outside 1990-2100."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        dt = _loose_date(value.strip())
        if dt is None:
            return None
    if not 1989 <= dt.year <= 2101:  # before converting: a zone can push year 1 or 9999 out of range (OverflowError)
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt if 1990 <= dt.year <= 2100 else None


def _loose_date(value: str) -> datetime | None:
    m = _LOOSE_DATE.fullmatch(value)
    try:
        if m is None:  # an HTTP-style date ("Sat, 17 Aug 2019 12:34:56 GMT") from odd writers
            return parsedate_to_datetime(value)
        year, month, day, hour, minute, second, fraction, zone = m.groups()
        tz = None
        if zone:
            tz = timezone.utc if zone.upper() == "Z" else datetime.strptime(zone.replace(":", ""), "%z").tzinfo
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tz)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
