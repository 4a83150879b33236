"""Platform monitoring as one component: alert topic, alarm catalog and dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from infra.aws_context import aws_context
from infra.observability.alarms import RUNBOOK_PATH, PlatformAlarms, PlatformAlarmsArgs
from infra.observability.alerting import AlertTopic, AlertTopicArgs, Subscriber
from infra.observability.dashboard import PlatformDashboard, PlatformDashboardArgs
from infra.observability.signals import AlarmTargets, AlarmThresholds, alarm_specs


@dataclass(frozen=True, kw_only=True)
class PlatformMonitoringArgs:
    targets: AlarmTargets
    thresholds: AlarmThresholds
    subscribers: Sequence[Subscriber]
    runbook_url: str = RUNBOOK_PATH


class PlatformMonitoring(pulumi.ComponentResource):
    """Everything that pages an operator for one stack, and the dashboard they land on."""

    topic_arn: pulumi.Output[str]
    dashboard_name: pulumi.Output[str]
    alarm_names: list[str]

    def __init__(
        self, name: str, args: PlatformMonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:observability:PlatformMonitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        specs = alarm_specs(args.targets, args.thresholds)
        topic = AlertTopic(
            f"{name}-alerts", AlertTopicArgs(subscribers=args.subscribers), opts=child
        )
        alarms = PlatformAlarms(
            f"{name}-alarm",
            PlatformAlarmsArgs(
                specs=specs,
                topic_arn=topic.topic_arn,
                name_prefix=name,
                runbook_url=args.runbook_url,
            ),
            opts=child,
        )
        dashboard = PlatformDashboard(
            f"{name}-dashboard",
            PlatformDashboardArgs(
                dashboard_name=name,
                specs=specs,
                alarm_arns=alarms.alarm_arns,
                region=aws_context(pulumi.InvokeOptions(parent=self)).region,
                runbook_url=args.runbook_url,
            ),
            opts=child,
        )
        self.topic_arn = topic.topic_arn
        self.dashboard_name = dashboard.dashboard_name
        self.alarm_names = [f"{name}-{s.key}" for s in specs]
        self.register_outputs(
            {"topic_arn": topic.topic_arn, "dashboard_name": dashboard.dashboard_name}
        )
