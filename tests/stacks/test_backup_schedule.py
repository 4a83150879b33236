"""The AWS Backup schedule starts clear of the RDS backup and maintenance windows."""

from __future__ import annotations

import pytest

from infra.database.backup_windows import (
    DAY,
    BackupScheduleError,
    Interval,
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


FAR_MAINTENANCE = "wed:12:00-wed:12:30"


def test_a_start_window_that_ends_as_the_guard_hour_begins_is_clear() -> None:
    # Backup window 04:00-05:00: blocked from 03:00; a job may start 02:00-03:00.
    windows = {"backup_window": "04:00-05:00", "maintenance_window": FAR_MAINTENANCE}
    assert conflicts("cron(0 2 * * ? *)", **windows) == []
    assert conflicts("cron(1 2 * * ? *)", **windows)


def test_a_start_late_inside_a_long_backup_window_is_a_conflict_on_its_own_day() -> None:
    found = conflicts(
        "cron(30 4 ? * WED *)", backup_window="01:00-05:00", maintenance_window=FAR_MAINTENANCE
    )
    assert found == [
        "a job may start wed 04:30+60min, inside backup window 01:00-05:00 (wed) or the hour "
        "before it"
    ]


def test_a_maintenance_window_over_the_week_end_blocks_monday_morning() -> None:
    found = conflicts(
        "cron(0 0 ? * MON *)", backup_window="10:00-10:30", maintenance_window="sun:23:30-mon:00:30"
    )
    assert found == [
        "a job may start mon 00:00+60min, inside maintenance window sun:23:30-mon:00:30 or "
        "the hour before it"
    ]


def test_an_unreadable_window_time_is_named() -> None:
    with pytest.raises(BackupScheduleError) as raised:
        blocked_intervals("24:00-01:00", FAR_MAINTENANCE)
    assert str(raised.value) == "'24:00' is not a time like 02:30"


def test_weekday_lists_and_any_weekday_give_their_starts_in_minutes_of_the_week() -> None:
    assert schedule_starts("cron(15 5 ? * MON,WED *)", 60) == [
        Interval(5 * 60 + 15, 5 * 60 + 75, "mon 05:15+60min"),
        Interval(2 * DAY + 5 * 60 + 15, 2 * DAY + 5 * 60 + 75, "wed 05:15+60min"),
    ]
    any_day = schedule_starts("cron(0 23 ? * * *)", 120)
    assert [s.label for s in any_day] == [
        f"{day} 23:00+120min" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    ]
    assert any_day[-1] == Interval(6 * DAY + 23 * 60, 6 * DAY + 25 * 60, "sun 23:00+120min")


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ("rate(1 day)", "'rate(1 day)' is not cron(minute hour day month weekday year)"),
        (
            "cron(0 */6 * * ? *)",
            "'cron(0 */6 * * ? *)': give a fixed minute and hour(s) (like cron(0 5 * * ? *)) "
            "so the start can be checked against the database's windows",
        ),
        ("cron(0 5 ? * XYZ *)", "'cron(0 5 ? * XYZ *)': weekday 'xyz' is not SUN-SAT or 1-7"),
        ("cron(0 24 * * ? *)", "'cron(0 24 * * ? *)': 24:0 is not a time of day"),
        ("cron(60 5 * * ? *)", "'cron(60 5 * * ? *)': 5:60 is not a time of day"),
    ],
)
def test_an_unreadable_schedule_is_refused_with_what_to_write(schedule: str, problem: str) -> None:
    with pytest.raises(BackupScheduleError) as raised:
        conflicts(schedule)
    assert str(raised.value) == problem


ADVICE = (
    "AWS Backup does not start an RDS snapshot then; pick a start at least an hour before either "
    "window and after both have ended"
)
WINDOWS_SHOWN = "hrms:database.backupWindow 02:00-03:00, maintenanceWindow sun:04:00-sun:05:00"


@pytest.mark.parametrize(
    ("schedule", "first", "more"),
    [
        (
            "cron(0 3 ? * SUN *)",
            "sun 03:00+60min, inside maintenance window sun:04:00-sun:05:00",
            "",
        ),
        (
            "cron(0 1 * * ? *)",
            "mon 01:00+60min, inside backup window 02:00-03:00 (mon)",
            " (and 6 more)",
        ),
        (
            "cron(0 1 ? * MON,TUE *)",
            "mon 01:00+60min, inside backup window 02:00-03:00 (mon)",
            " (and 1 more)",
        ),
    ],
)
def test_the_refusal_names_the_first_conflict_counts_the_rest_and_says_what_to_pick(
    schedule: str, first: str, more: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse("staging", mutate("staging", _set("backup", "schedule", schedule)))
    assert str(caught.value) == (
        f"Pulumi.staging.yaml: hrms:backup.schedule: {schedule} with its 60-minute start window "
        f"is not clear of the database's windows ({WINDOWS_SHOWN}): a job may start {first} or "
        f"the hour before it{more}. {ADVICE}"
    )
