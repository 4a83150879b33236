"""Platform monitoring as one component: alert topic, alarm catalog and dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from infra.aws_context import aws_context
from infra.observability.alarms import RUNBOOK_PATH, PlatformAlarms, PlatformAlarmsArgs
from infra.observability.alerting import AlertTopic, AlertTopicArgs, Subscriber
from infra.observability.dashboard import PlatformDashboard, PlatformDashboardArgs
from infra.observability.signals import AlarmTargets, AlarmThresholds, alarm_specs
from infra.settings import SettingError


@dataclass(frozen=True, kw_only=True)
class AlarmSettings:
    """The stack-tunable values of monitoring (``hrms:alarms``): who is paged, the runbook,
    and the alarm thresholds (read from the same section; unset ones take the catalog's)."""

    alert_emails: tuple[str, ...] = ()
    alert_https_endpoints: tuple[str, ...] = ()
    runbook_url: str = RUNBOOK_PATH
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)

    def __post_init__(self) -> None:
        for key, protocol in (("alert_emails", "email"), ("alert_https_endpoints", "https")):
            for endpoint in getattr(self, key):
                try:
                    Subscriber(protocol=protocol, endpoint=endpoint)
                except ValueError as exc:
                    raise SettingError(key, str(exc)) from None
        if not self.subscribers:
            raise SettingError(
                "alert_emails", "at least one alert email or HTTPS endpoint is required"
            )

    @property
    def subscribers(self) -> tuple[Subscriber, ...]:
        return (
            *(Subscriber(protocol="email", endpoint=e) for e in self.alert_emails),
            *(Subscriber(protocol="https", endpoint=e) for e in self.alert_https_endpoints),
        )


@dataclass(frozen=True, kw_only=True)
class PlatformMonitoringArgs:
    targets: AlarmTargets
    settings: AlarmSettings


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
        specs = alarm_specs(args.targets, args.settings.thresholds)
        topic = AlertTopic(
            f"{name}-alerts", AlertTopicArgs(subscribers=args.settings.subscribers), opts=child
        )
        alarms = PlatformAlarms(
            f"{name}-alarm",
            PlatformAlarmsArgs(
                specs=specs,
                topic_arn=topic.topic_arn,
                name_prefix=name,
                runbook_url=args.settings.runbook_url,
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
                runbook_url=args.settings.runbook_url,
            ),
            opts=child,
        )
        self.topic_arn = topic.topic_arn
        self.dashboard_name = dashboard.dashboard_name
        self.alarm_names = [f"{name}-{s.key}" for s in specs]
        self.register_outputs(
            {"topic_arn": topic.topic_arn, "dashboard_name": dashboard.dashboard_name}
        )
