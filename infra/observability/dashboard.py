"""A CloudWatch dashboard per stack showing exactly the signals the alarms watch."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.observability.signals import AlarmSpec, Signal

WIDTH = 12  # two graphs per row on the 24-column grid
HEIGHT = 6


def dashboard_body(
    specs: Sequence[AlarmSpec], alarm_arns: Mapping[str, str], *, region: str, runbook_url: str
) -> str:
    """Render the dashboard JSON: an alarm status strip, then one graph per alarm by signal."""
    widgets: list[dict[str, Any]] = [
        {
            "type": "alarm",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 4,
            "properties": {
                "title": "Alarm status",
                "alarms": [alarm_arns[s.key] for s in specs],
                "sortBy": "stateUpdatedTimestamp",
            },
        }
    ]
    y = 4
    for signal in Signal:
        group = [s for s in specs if s.signal is signal]
        if not group:
            continue
        widgets.append(
            {
                "type": "text",
                "x": 0,
                "y": y,
                "width": 24,
                "height": 1,
                "properties": {
                    "markdown": f"## {signal.value} ([runbook]({runbook_url}#{group[0].anchor}))"
                },
            }
        )
        y += 1
        for i, spec in enumerate(group):
            widgets.append(
                {
                    "type": "metric",
                    "x": (i % 2) * WIDTH,
                    "y": y + (i // 2) * HEIGHT,
                    "width": WIDTH,
                    "height": HEIGHT,
                    # An alarm annotation plots the alarm's own metrics and threshold,
                    # so the graph can never disagree with what pages.
                    "properties": {
                        "title": spec.key,
                        "region": region,
                        "view": "timeSeries",
                        "stacked": False,
                        "annotations": {"alarms": [alarm_arns[spec.key]]},
                    },
                }
            )
        y += ((len(group) + 1) // 2) * HEIGHT
    return json.dumps({"widgets": widgets}, sort_keys=True)


@dataclass(frozen=True, kw_only=True)
class PlatformDashboardArgs:
    dashboard_name: str
    specs: Sequence[AlarmSpec]
    alarm_arns: Mapping[str, pulumi.Output[str]]
    region: pulumi.Input[str]
    runbook_url: str

    def __post_init__(self) -> None:
        missing = sorted({s.key for s in self.specs} - set(self.alarm_arns))
        if missing:
            raise ValueError(f"PlatformDashboardArgs.alarm_arns lacks {missing}")


class PlatformDashboard(pulumi.ComponentResource):
    dashboard_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: PlatformDashboardArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:observability:PlatformDashboard", name, None, opts)
        keys = list(args.alarm_arns)
        body = pulumi.Output.all(args.region, *args.alarm_arns.values()).apply(
            lambda v: dashboard_body(
                args.specs,
                dict(zip(keys, map(str, v[1:]), strict=True)),
                region=str(v[0]),
                runbook_url=args.runbook_url,
            )
        )
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.dashboard_name,
            dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs({"dashboard_name": dashboard.dashboard_name})
