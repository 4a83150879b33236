"""The AWS Backup schedule starts clear of the RDS backup and maintenance windows."""

from __future__ import annotations

import pytest

from infra.database.backup_windows import (
    BackupScheduleError,
    blocked_intervals,
    schedule_conflicts,
    schedule_starts,
)
from stacks.config import ConfigError
from tests.stacks.test_config import _set, committed, mutate, parse

pytestmark = pytest.mark.infra

WINDOWS = {"backup_window": "02:00-03:00", "maintenance_window": "sun:04:00-sun:05:00"}


def conflicts(schedule: str, **windows: str) -> list[str]:
    return schedule_conflicts(schedule=schedule, start_window_minutes=60, **{**WINDOWS, **windows})


@pytest.mark.parametrize(
    "schedule",
    ["cron(0 5 * * ? *)", "cron(30 23 * * ? *)", "cron(0 3 ? * MON *)", "cron(0 3 ? * 2 *)"],
)
def test_starts_clear_of_both_windows(schedule: str) -> None:
    assert conflicts(schedule) == []


@pytest.mark.parametrize(
    ("schedule", "maintenance", "inside"),
    [
        # The committed value before: Sunday's 03:00-04:00 start runs into the hour
        # before maintenance.
        ("cron(0 3 * * ? *)", "sun:04:00-sun:05:00", "maintenance window"),
        ("cron(0 3 ? * SUN *)", "sun:04:00-sun:05:00", "maintenance window"),
        ("cron(0 3 ? * 1 *)", "sun:04:00-sun:05:00", "maintenance window"),  # 1 is Sunday
        ("cron(0 4 ? * SUN *)", "sun:04:00-sun:05:00", "maintenance window"),
        ("cron(0 5 ? * MON *)", "mon:05:30-mon:06:00", "maintenance window"),
        ("cron(30 0 * * ? *)", "sun:04:00-sun:05:00", "backup window"),  # ends in the guard hour
        ("cron(0 2 * * ? *)", "sun:04:00-sun:05:00", "backup window"),
    ],
)
def test_a_start_in_a_window_or_the_hour_before_is_a_conflict(
    schedule: str, maintenance: str, inside: str
) -> None:
    found = conflicts(schedule, maintenance_window=maintenance)
    assert found
    assert inside in found[0]


def test_windows_that_cross_midnight_and_the_week_end() -> None:
    windows = {"backup_window": "23:30-00:30", "maintenance_window": "sun:23:30-mon:00:30"}
    assert conflicts("cron(0 0 * * ? *)", **windows)  # inside the backup window
    assert conflicts("cron(0 22 * * ? *)", **windows)  # the hour before it: 22:30
    assert conflicts("cron(0 1 * * ? *)", **windows) == []
    assert conflicts("cron(0 1 ? * MON *)", **windows) == []
    maintenance = blocked_intervals(windows["backup_window"], windows["maintenance_window"])[-1]
    assert maintenance.end - maintenance.start == 60 + 60


def test_daily_schedule_starts_every_day() -> None:
    starts = schedule_starts("cron(15 5,17 * * ? *)", 60)
    assert len(starts) == 14
    assert {s.end - s.start for s in starts} == {60}


@pytest.mark.parametrize(
    "schedule", ["cron(0 */6 * * ? *)", "cron(0 1-3 * * ? *)", "rate(1 day)", "cron(0 5 ? * XYZ *)"]
)
def test_unreadable_schedules_are_refused(schedule: str) -> None:
    with pytest.raises(BackupScheduleError):
        conflicts(schedule)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_committed_schedules_are_clear(stack: str) -> None:
    cfg = parse(stack, committed(stack))
    assert (
        schedule_conflicts(
            schedule=cfg.backup.schedule,
            start_window_minutes=60,
            backup_window=cfg.database.backup_window,
            maintenance_window=cfg.database.maintenance_window,
        )
        == []
    )


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_config_refuses_a_schedule_inside_the_windows(stack: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(stack, mutate(stack, _set("backup", "schedule", "cron(0 3 * * ? *)")))
    message = str(caught.value)
    assert message.startswith(f"Pulumi.{stack}.yaml: hrms:backup.schedule: cron(0 3 * * ? *)")
    assert "maintenance window sun:04:00-sun:05:00" in message
    assert "hour before" in message


def test_config_refuses_a_schedule_it_cannot_check() -> None:
    with pytest.raises(ConfigError, match=r"hrms:backup.schedule: .*fixed minute and hour"):
        parse("staging", mutate("staging", _set("backup", "schedule", "cron(0 */4 * * ? *)")))


def test_moving_the_maintenance_window_is_checked_too() -> None:
    with pytest.raises(ConfigError, match=r"hrms:backup\.schedule"):
        parse(
            "staging",
            mutate("staging", _set("database", "maintenanceWindow", "tue:04:30-tue:05:30")),
        )
