"""The encrypted SNS topic alarms publish to, and its subscriptions from stack config."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws_context import aws_context
from infra.observability.keys import alert_key

ALLOWED_PROTOCOLS = ("email", "https")


@dataclass(frozen=True, kw_only=True)
class Subscriber:
    protocol: str
    endpoint: str

    def __post_init__(self) -> None:
        if self.protocol not in ALLOWED_PROTOCOLS:
            raise ValueError(
                f"alert subscriber {self.endpoint!r}: protocol {self.protocol!r} is not one of "
                f"{', '.join(ALLOWED_PROTOCOLS)}"
            )
        if self.protocol == "email" and "@" not in self.endpoint:
            raise ValueError(f"alert subscriber {self.endpoint!r}: not an email address")
        # Alerts can carry resource names; never send them over plain HTTP.
        if self.protocol == "https" and not self.endpoint.startswith("https://"):
            raise ValueError(f"alert subscriber {self.endpoint!r}: must be an https:// URL")


@dataclass(frozen=True, kw_only=True)
class AlertTopicArgs:
    subscribers: Sequence[Subscriber]

    def __post_init__(self) -> None:
        if not self.subscribers:
            raise ValueError("AlertTopicArgs.subscribers: alarms nobody receives page nobody")


class AlertTopic(pulumi.ComponentResource):
    """KMS-encrypted SNS topic only this account's CloudWatch alarms may publish to."""

    topic_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AlertTopicArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:observability:AlertTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = alert_key(f"{name}-key", parent=self)
        topic = aws.sns.Topic(f"{name}-topic", name=name, kms_master_key_id=key.arn, opts=child)
        ctx = aws_context(pulumi.InvokeOptions(parent=self))
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, ctx.account_id).apply(
                lambda v: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "CloudWatchAlarmsOfThisAccount",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                "Action": "sns:Publish",
                                "Resource": v[0],
                                "Condition": {"StringEquals": {"aws:SourceAccount": v[1]}},
                            },
                            {
                                "Sid": "DenyPlainTransport",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "sns:Publish",
                                "Resource": v[0],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            },
                        ],
                    },
                    sort_keys=True,
                )
            ),
            opts=child,
        )
        for i, subscriber in enumerate(args.subscribers, start=1):
            aws.sns.TopicSubscription(
                f"{name}-{subscriber.protocol}-{i}",
                topic=topic.arn,
                protocol=subscriber.protocol,
                endpoint=subscriber.endpoint,
                opts=child,
            )
        self.topic_arn = topic.arn
        self.key_arn = key.arn
        self.register_outputs({"topic_arn": topic.arn})
