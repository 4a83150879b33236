"""Counting working days in a leave period."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal


def working_days(start: date, end: date) -> Decimal:
    """Weekdays from ``start`` to ``end`` inclusive (public holidays are not modelled)."""
    if end < start:
        return Decimal(0)
    total = (end - start).days + 1
    full_weeks, rest = divmod(total, 7)
    days = full_weeks * 5
    for offset in range(rest):
        if (start + timedelta(days=full_weeks * 7 + offset)).weekday() < 5:
            days += 1
    return Decimal(days)
