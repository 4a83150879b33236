"""When an AWS Backup job of the database may start: clear of RDS's own backup and maintenance.

AWS Backup does not start a snapshot of an RDS instance within the hour before, or during,
the instance's automated backup window or its maintenance window; a job due then waits or
expires, so the daily recovery point silently goes missing. The plan's start window (the
scheduled time plus ``start_window_minutes``) must therefore stay out of both windows and
the hour before each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DAY = 24 * 60
WEEK = 7 * DAY
GUARD_MINUTES = 60  # the hour before a window counts as part of it
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# AWS cron numbers the days 1-7 from Sunday.
_CRON_DAY_NUMBERS = {
    "1": "sun",
    "2": "mon",
    "3": "tue",
    "4": "wed",
    "5": "thu",
    "6": "fri",
    "7": "sat",
}
_CRON = re.compile(r"^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class BackupScheduleError(ValueError):
    """A schedule this module cannot read, or one that starts inside an RDS window."""


@dataclass(frozen=True)
class Interval:
    """[start, end) in minutes since Monday 00:00 UTC; end may pass the end of the week."""

    start: int
    end: int
    label: str

    def overlaps(self, other: Interval) -> bool:
        return any(
            self.start < other.end + shift and other.start + shift < self.end
            for shift in (-WEEK, 0, WEEK)
        )


def _clock(value: str) -> int:
    match = _HHMM.match(value)
    if match is None:
        raise BackupScheduleError(f"{value!r} is not a time like 02:30")
    return int(match.group(1)) * 60 + int(match.group(2))


def _duration(start: int, end: int) -> int:
    return (end - start) % DAY or DAY


def schedule_starts(schedule: str, start_window_minutes: int) -> list[Interval]:
    """When jobs of ``cron(M H DoM Mon DoW Y)`` may start, per week (fixed minute and hours)."""
    match = _CRON.match(schedule.strip())
    if match is None:
        raise BackupScheduleError(f"{schedule!r} is not cron(minute hour day month weekday year)")
    minute, hours, _day_of_month, _month, weekdays, _year = match.groups()
    if not minute.isdigit() or not all(h.isdigit() for h in hours.split(",")):
        raise BackupScheduleError(
            f"{schedule!r}: give a fixed minute and hour(s) (like cron(0 5 * * ? *)) so the "
            "start can be checked against the database's windows"
        )
    if weekdays in ("*", "?"):
        days = list(DAYS)  # a day-of-month schedule can land on any weekday
    else:
        days = []
        for token in weekdays.lower().split(","):
            day = _CRON_DAY_NUMBERS.get(token, token)
            if day not in DAYS:
                raise BackupScheduleError(f"{schedule!r}: weekday {token!r} is not SUN-SAT or 1-7")
            days.append(day)
    starts = []
    for day in days:
        for hour in hours.split(","):
            if not (int(hour) < 24 and int(minute) < 60):
                raise BackupScheduleError(f"{schedule!r}: {hour}:{minute} is not a time of day")
            start = DAYS.index(day) * DAY + int(hour) * 60 + int(minute)
            label = f"{day} {int(hour):02d}:{int(minute):02d}+{start_window_minutes}min"
            starts.append(Interval(start, start + start_window_minutes, label))
    return starts


def blocked_intervals(backup_window: str, maintenance_window: str) -> list[Interval]:
    """RDS's daily backup window and weekly maintenance window, each with the hour before."""
    b_start, b_end = (_clock(v) for v in backup_window.split("-"))
    blocked = [
        Interval(
            i * DAY + b_start - GUARD_MINUTES,
            i * DAY + b_start + _duration(b_start, b_end),
            f"backup window {backup_window} ({day})",
        )
        for i, day in enumerate(DAYS)
    ]
    m_start_text, m_end_text = maintenance_window.lower().split("-")
    m_start_day, m_start_clock = m_start_text.split(":", 1)
    m_end_day, m_end_clock = m_end_text.split(":", 1)
    m_start = DAYS.index(m_start_day) * DAY + _clock(m_start_clock)
    m_end = DAYS.index(m_end_day) * DAY + _clock(m_end_clock)
    length = (m_end - m_start) % WEEK
    blocked.append(
        Interval(
            m_start - GUARD_MINUTES, m_start + length, f"maintenance window {maintenance_window}"
        )
    )
    return blocked


def schedule_conflicts(
    *, schedule: str, start_window_minutes: int, backup_window: str, maintenance_window: str
) -> list[str]:
    """Every (start, window) pair that overlaps; empty when the schedule starts clear."""
    blocked = blocked_intervals(backup_window, maintenance_window)
    return [
        f"a job may start {start.label}, inside {window.label} or the hour before it"
        for start in schedule_starts(schedule, start_window_minutes)
        for window in blocked
        if start.overlaps(window)
    ]
