"""CloudWatch Logs retention values, checked while the program is built rather than at deploy."""

from __future__ import annotations

# The only values PutRetentionPolicy accepts.
VALID_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557}
    | {2922, 3288, 3653}
)


def check_retention(days: int, *, field: str) -> None:
    """Raise naming ``field`` when ``days`` is not a CloudWatch Logs retention value."""
    if days not in VALID_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in sorted(VALID_RETENTION_DAYS))
        raise ValueError(f"{field}={days} is not a CloudWatch Logs retention; use one of {allowed}")
