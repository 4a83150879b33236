"""CloudWatch alarms rendered from the alarm catalog, each paging and linking its runbook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.observability.signals import AlarmSpec, Metric

RUNBOOK_PATH = "docs/runbooks/alarms.md"
PERCENTILE_PREFIXES = ("p", "tm", "tc", "ts", "wm", "iqm")


@dataclass(frozen=True, kw_only=True)
class PlatformAlarmsArgs:
    specs: Sequence[AlarmSpec]
    topic_arn: pulumi.Input[str]
    name_prefix: str
    # Where operators open the runbook: the repository's web URL in real stacks, so
    # the link in the page is one click; defaults to the path inside the repository.
    runbook_url: str = RUNBOOK_PATH

    def __post_init__(self) -> None:
        if not self.specs:
            raise ValueError("PlatformAlarmsArgs.specs is empty")


def is_percentile(stat: str) -> bool:
    return stat.startswith(PERCENTILE_PREFIXES) and any(ch.isdigit() for ch in stat)


def description(spec: AlarmSpec, runbook_url: str) -> str:
    return f"{spec.summary} Runbook: {runbook_url}#{spec.anchor}"


def _metric_query_metric(metric: Metric) -> aws.cloudwatch.MetricAlarmMetricQueryMetricArgs:
    return aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
        namespace=metric.namespace,
        metric_name=metric.name,
        dimensions=metric.dimensions,
        stat=metric.stat,
        period=metric.period,
    )


class PlatformAlarms(pulumi.ComponentResource):
    """One MetricAlarm per catalog entry; alarm and OK both notify the alert topic."""

    alarm_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: PlatformAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:observability:PlatformAlarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.alarm_arns = {}
        for spec in args.specs:
            m = spec.metric
            percentile = m is not None and is_percentile(m.stat)
            queries = [
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id=q.id,
                    expression=q.expression,
                    label=q.label,
                    return_data=q.return_data,
                    metric=_metric_query_metric(q.metric) if q.metric is not None else None,
                )
                for q in spec.queries
            ]
            alarm = aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.key}",
                name=f"{args.name_prefix}-{spec.key}",
                alarm_description=description(spec, args.runbook_url),
                comparison_operator=spec.comparison,
                threshold=spec.threshold,
                threshold_metric_id=spec.threshold_metric_id,
                evaluation_periods=spec.evaluation_periods,
                datapoints_to_alarm=spec.datapoints_to_alarm,
                treat_missing_data=spec.missing.value,
                metric_queries=queries or None,
                alarm_actions=[args.topic_arn],
                # Recovery is news too: the on-call closes the incident on the OK page.
                ok_actions=[args.topic_arn],
                actions_enabled=True,
                namespace=m.namespace if m else None,
                metric_name=m.name if m else None,
                dimensions=m.dimensions if m else None,
                period=m.period if m else None,
                statistic=m.stat if m and not percentile else None,
                extended_statistic=m.stat if m and percentile else None,
                opts=child,
            )
            self.alarm_arns[spec.key] = alarm.arn
        self.register_outputs({"alarm_arns": self.alarm_arns})
