"""The stack's ECR repository: immutable tags, scan on push, KMS, digest references."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.kms import EncryptionKey, EncryptionKeyArgs

DIGEST_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True, kw_only=True)
class ImageRegistryArgs:
    repository_name: str
    untagged_expiry_days: int = 14
    # Delete the repository with its images on destroy (disposable stacks only).
    force_delete: bool = False


class ImageNotPushedError(LookupError):
    """The configured digest is not in the stack's repository (or the repository is missing)."""


def image_reference(repository_url: str, digest: str) -> str:
    """``<repo>@sha256:<digest>``: a digest pins the exact bytes that passed staging."""
    if not DIGEST_PATTERN.match(digest):
        raise ValueError(f"image digest {digest!r} is not of the form sha256:<64 hex chars>")
    return f"{repository_url}@{digest}"


def lifecycle_policy(untagged_expiry_days: int) -> str:
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": "Expire untagged layers left by rebuilt images",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                }
            ]
        },
        sort_keys=True,
    )


class ImageRegistry(pulumi.ComponentResource):
    repository_url: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ImageRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:image:ImageRegistry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = EncryptionKey(
            f"{name}-kms", EncryptionKeyArgs(description=f"ECR images of {name}"), opts=child
        )
        repository = aws.ecr.Repository(
            f"{name}-repo",
            name=args.repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=key.key_arn
                )
            ],
            force_delete=args.force_delete,
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=lifecycle_policy(args.untagged_expiry_days),
            opts=child,
        )
        self._repository_name = args.repository_name
        self.repository_url = repository.repository_url
        self.repository_arn = repository.arn
        self.kms_key_arn = key.key_arn
        self.register_outputs({"repository_url": repository.repository_url})

    def image(self, digest: str) -> pulumi.Output[str]:
        """The reference to ``digest``, after checking the image is in the repository.

        Looked up while the program runs (preview included), so a digest that was never
        pushed fails in seconds instead of as a migration Job stuck in ImagePullBackOff.
        """
        image_reference("example", digest)  # validate now, before any resource uses it
        try:
            found = aws.ecr.get_image(
                repository_name=self._repository_name,
                image_digest=digest,
                opts=pulumi.InvokeOptions(parent=self),
            )
        except Exception as exc:  # the provider reports a missing image or repository so
            raise ImageNotPushedError(
                f"image {digest} is not in ECR repository {self._repository_name}: {exc}"
            ) from exc
        if found.image_digest != digest:
            raise ImageNotPushedError(
                f"ECR repository {self._repository_name} answered {found.image_digest} for {digest}"
            )
        return self.repository_url.apply(lambda url: image_reference(url, digest))
