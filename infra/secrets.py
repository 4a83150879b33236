"""Secrets Manager secrets whose value AWS generates at deploy time, never stack config."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True, kw_only=True)
class GeneratedSecretArgs:
    description: str
    kms_key_arn: pulumi.Input[str]
    length: int = 64
    recovery_window_days: int = 7

    def __post_init__(self) -> None:
        if self.length < 32:
            raise ValueError("generated secrets must be at least 32 characters")


class GeneratedSecret(pulumi.ComponentResource):
    """A random value stored in Secrets Manager and read back as a Pulumi secret.

    ``get_random_password`` is an invoke and returns a new value on every run, so the
    stored version ignores later changes and consumers use the value read back from
    Secrets Manager: stable across runs, rotated only deliberately.
    """

    secret_arn: pulumi.Output[str]
    value: pulumi.Output[str]

    def __init__(
        self, name: str, args: GeneratedSecretArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:security:GeneratedSecret", name, None, opts)
        generated = aws.secretsmanager.get_random_password_output(
            password_length=args.length,
            exclude_punctuation=True,
            require_each_included_type=True,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            description=args.description,
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=args.recovery_window_days,
            opts=pulumi.ResourceOptions(parent=self),
        )
        version = aws.secretsmanager.SecretVersion(
            f"{name}-version",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(generated.random_password.apply(lambda p: p or "")),
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secret_string"]),
        )
        stored = aws.secretsmanager.get_secret_version_output(
            secret_id=version.secret_id,
            opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[version]),
        )
        self.secret_arn = secret.arn
        self.value = pulumi.Output.secret(stored.secret_string)
        self.register_outputs({"secret_arn": secret.arn})
