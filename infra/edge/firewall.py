"""WAFv2 web ACL in front of the API stage, with its own encrypted log group."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.logs import encrypted_log_group
from infra.observability.retention import check_retention

# (rule name, AWS managed rule group), evaluated after the per-IP rate rule.
MANAGED_RULE_GROUPS: tuple[tuple[str, str], ...] = (
    ("aws-common", "AWSManagedRulesCommonRuleSet"),
    ("aws-known-bad-inputs", "AWSManagedRulesKnownBadInputsRuleSet"),
)
# Headers WAF must never write to its logs: the tenant API key and user tokens.
REDACTED_HEADERS = ("x-api-key", "authorization")


@dataclass(frozen=True, kw_only=True)
class EdgeFirewallArgs:
    stage_arn: pulumi.Input[str]
    log_kms_key_arn: pulumi.Input[str]
    # Requests per source IP in any 5-minute window before WAF blocks that IP. It sits
    # above the largest tier's plan so it only stops floods, not paying tenants.
    rate_limit_per_ip: int
    log_retention_days: int

    def __post_init__(self) -> None:
        if not 10 <= self.rate_limit_per_ip <= 2_000_000_000:
            raise ValueError(
                f"EdgeFirewallArgs.rate_limit_per_ip={self.rate_limit_per_ip}: "
                "WAF accepts 10..2000000000"
            )
        check_retention(self.log_retention_days, field="EdgeFirewallArgs.log_retention_days")


def _visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _rules(name: str, args: EdgeFirewallArgs) -> list[aws.wafv2.WebAclRuleArgs]:
    """The per-IP rate rule first, then the managed rule groups in their order."""
    rules = [
        aws.wafv2.WebAclRuleArgs(
            name="rate-limit-per-ip",
            priority=0,
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    aggregate_key_type="IP",
                    limit=args.rate_limit_per_ip,
                    evaluation_window_sec=300,
                )
            ),
            visibility_config=_visibility(f"{name}-rate-limit-per-ip"),
        )
    ]
    for priority, (rule_name, group) in enumerate(MANAGED_RULE_GROUPS, start=1):
        rules.append(
            aws.wafv2.WebAclRuleArgs(
                name=rule_name,
                priority=priority * 10,
                # "none" keeps each managed rule's own block action.
                override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
                    none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()  # type: ignore[no-untyped-call]
                ),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        vendor_name="AWS", name=group
                    )
                ),
                visibility_config=_visibility(f"{name}-{rule_name}"),
            )
        )
    return rules


class EdgeFirewall(pulumi.ComponentResource):
    """Regional web ACL (managed rules + per-IP rate rule) associated with the stage."""

    web_acl_arn: pulumi.Output[str]
    web_acl_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: EdgeFirewallArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:edge:EdgeFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=name,
            description="HRMS tenant API: managed rules and a per-IP rate limit",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(
                allow=aws.wafv2.WebAclDefaultActionAllowArgs()
            ),
            rules=_rules(name, args),
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            ),
            opts=child,
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-stage-association",
            resource_arn=args.stage_arn,
            web_acl_arn=acl.arn,
            opts=child,
        )
        logs = self._logging(name, args, acl)
        self.web_acl_arn = acl.arn
        self.web_acl_name = acl.name
        self.log_group_name = logs.name
        self.register_outputs({"web_acl_arn": acl.arn, "log_group_name": logs.name})

    def _logging(
        self, name: str, args: EdgeFirewallArgs, acl: aws.wafv2.WebAcl
    ) -> aws.cloudwatch.LogGroup:
        """Blocked and counted requests to an encrypted log group, credentials redacted."""
        child = pulumi.ResourceOptions(parent=self)
        # WAF only delivers to log groups whose name starts with "aws-waf-logs-".
        logs = encrypted_log_group(
            f"{name}-logs",
            log_group_name=f"aws-waf-logs-{name}",
            kms_key_arn=args.log_kms_key_arn,
            retention_days=args.log_retention_days,
            opts=child,
        )
        action_kept = aws.wafv2.WebAclLoggingConfigurationLoggingFilterFilterConditionArgs
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=acl.arn,
            log_destination_configs=[logs.arn],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(
                        name=header
                    )
                )
                for header in REDACTED_HEADERS
            ],
            # Allowed requests are already in the stage's access log; WAF logs what it
            # blocked or counted, which is what an operator investigates here.
            logging_filter=aws.wafv2.WebAclLoggingConfigurationLoggingFilterArgs(
                default_behavior="DROP",
                filters=[
                    aws.wafv2.WebAclLoggingConfigurationLoggingFilterFilterArgs(
                        behavior="KEEP",
                        requirement="MEETS_ANY",
                        conditions=[
                            action_kept(
                                action_condition=aws.wafv2.WebAclLoggingConfigurationLoggingFilterFilterConditionActionConditionArgs(
                                    action=action
                                )
                            )
                            for action in ("BLOCK", "COUNT")
                        ],
                    )
                ],
            ),
            opts=child,
        )
        return logs
