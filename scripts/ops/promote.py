"""Promote staging to prod by image digest, with a verified source and a rollback on failure.

Order: read what the source runs and that its verify record passed for that digest; make
sure the digest is in the target's registry (copied by digest when registries differ); set
the target's ``workload.imageDigest``; preview with the policy pack; ``up`` (pulumi-kubernetes
waits for the Deployment's rollout before ``up`` returns); verify the target. A failure
before ``up`` restores the config and refuses; a failure from ``up`` on rolls the target back
to its previous digest. Every run writes a promotion record under ``build/promotions/``.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from scripts.ops.aws import Account
from scripts.ops.pulumi_cli import PulumiCli, PulumiError
from scripts.ops.verify import VerifyReport
from stacks import outputs as out
from stacks.offline.engine import REPO_ROOT

DIGEST_KEY = "hrms:workload.imageDigest"  # set with --path
RECORDS_DIR = REPO_ROOT / "build" / "promotions"
VERIFY_DIR = REPO_ROOT / "build" / "verify"

Outcome = Literal["promoted", "dry-run", "unchanged", "refused", "rolled-back", "rollback-failed"]
Verifier = Callable[[str], VerifyReport]


class Refused(Exception):
    """Promotion stopped before the target changed."""


@dataclass(kw_only=True)
class PromotionRecord:
    source: str
    target: str
    who: str
    when: str
    dry_run: bool
    digest: str | None = None
    previous_digest: str | None = None
    outcome: Outcome = "refused"
    reason: str = ""
    steps: list[dict[str, str]] = field(default_factory=list)
    verify: dict[str, Any] | None = None

    def step(self, name: str, status: str, detail: str = "") -> None:
        self.steps.append({"step": name, "status": status, "detail": detail})

    def to_dict(self) -> dict[str, Any]:
        return {
            "who": self.who,
            "when": self.when,
            "from": self.source,
            "to": self.target,
            "what": {"digest": self.digest, "previous_digest": self.previous_digest},
            "dry_run": self.dry_run,
            "outcome": self.outcome,
            "reason": self.reason,
            "steps": self.steps,
            "verify": self.verify,
        }

    def write(self, directory: Path = RECORDS_DIR) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = self.when.replace(":", "").replace("-", "")
        path = directory / f"{stamp}-{self.source}-to-{self.target}.json"
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path


def who() -> str:
    return os.environ.get("GITHUB_ACTOR") or getpass.getuser()


def read_verify_record(path: Path, *, stack: str, digest: str) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise Refused(
            f"no verify record for {stack} at {path}: run 'hrmsctl verify --stack {stack} "
            f"--json {path}' first"
        ) from exc
    except json.JSONDecodeError as exc:
        raise Refused(f"{path} is not a verify record: {exc}") from exc
    if record.get("stack") != stack:
        raise Refused(f"{path} verifies stack {record.get('stack')!r}, not {stack!r}")
    if record.get("digest") != digest:
        raise Refused(
            f"{stack} runs {digest} but its verify record is for {record.get('digest')}: "
            "verify again before promoting"
        )
    if record.get("passed") is not True:
        failed = [c["name"] for c in record.get("checks", []) if c.get("status") != "pass"]
        raise Refused(f"{stack}'s verify did not pass for {digest} (failed/skipped: {failed})")
    return dict(record)


def _repository(url: str) -> tuple[str, str]:
    """``<account>.dkr.ecr.<region>.amazonaws.com/<name>`` -> (registry host, repository)."""
    host, _, name = url.partition("/")
    return host, name


def ensure_image(
    digest: str,
    *,
    source_url: str,
    target_url: str,
    source: Account,
    target: Account,
    copy: bool = True,
) -> str:
    """Make sure ``digest`` is in the target repository, copying the manifest by digest."""
    src_host, src_repo = _repository(source_url)
    dst_host, dst_repo = _repository(target_url)
    dst = target.client("ecr")
    image_id = [{"imageDigest": digest}]
    found = dst.batch_get_image(repositoryName=dst_repo, imageIds=image_id)["images"]
    if found:
        return f"{digest} already in {dst_host}/{dst_repo}"
    if (src_host, src_repo) == (dst_host, dst_repo):
        raise Refused(f"{digest} is not in {dst_host}/{dst_repo}")
    images = source.client("ecr").batch_get_image(repositoryName=src_repo, imageIds=image_id)
    if not images["images"]:
        raise Refused(f"{digest} is in neither {src_host}/{src_repo} nor {dst_host}/{dst_repo}")
    if not copy:
        return f"would copy {digest} from {src_host}/{src_repo} to {dst_host}/{dst_repo}"
    image = images["images"][0]
    # The manifest only names layers; ECR replication (or a push of the layers) must have
    # brought the blobs, and put_image refuses a manifest whose layers the registry lacks.
    dst.put_image(
        repositoryName=dst_repo,
        imageManifest=image["imageManifest"],
        imageManifestMediaType=image.get("imageManifestMediaType")
        or json.loads(image["imageManifest"]).get("mediaType"),
        imageDigest=digest,
    )
    return f"copied {digest} from {src_host}/{src_repo} to {dst_host}/{dst_repo}"


@dataclass(frozen=True, kw_only=True)
class Promotion:
    source: str
    target: str
    cli: PulumiCli
    verifier: Verifier
    source_account: Account
    target_account: Account
    verify_record: Path
    dry_run: bool = True

    def run(self) -> PromotionRecord:
        record = PromotionRecord(
            source=self.source,
            target=self.target,
            who=who(),
            when=datetime.now(UTC).isoformat(timespec="seconds"),
            dry_run=self.dry_run,
        )
        try:
            self._run(record)
        except Refused as exc:
            record.outcome, record.reason = "refused", str(exc)
        return record

    def _outputs(self, record: PromotionRecord, stack: str) -> dict[str, Any]:
        try:
            outputs = self.cli.outputs(stack)
        except PulumiError as exc:
            record.step(f"read {stack} outputs", "fail", str(exc))
            raise Refused(f"cannot read {stack}'s outputs: {exc}") from exc
        if not isinstance(outputs.get(out.IMAGE_DIGEST), str):
            raise Refused(f"{stack} exports no {out.IMAGE_DIGEST}")
        return outputs

    def _run(self, record: PromotionRecord) -> None:
        src = self._outputs(record, self.source)
        digest = record.digest = src[out.IMAGE_DIGEST]
        record.step("source digest", "ok", f"{self.source} runs {digest}")
        read_verify_record(self.verify_record, stack=self.source, digest=digest)
        record.step("source verified", "ok", str(self.verify_record))
        dst = self._outputs(record, self.target)
        previous = record.previous_digest = dst[out.IMAGE_DIGEST]
        if previous == digest:
            record.outcome, record.reason = "unchanged", f"{self.target} already runs {digest}"
            return
        try:
            copied = ensure_image(
                digest,
                source_url=src[out.ECR_REPOSITORY_URL],
                target_url=dst[out.ECR_REPOSITORY_URL],
                source=self.source_account,
                target=self.target_account,
                copy=not self.dry_run,
            )
        except Refused:
            record.step("image in target registry", "fail")
            raise
        record.step("image in target registry", "ok", copied)
        if self.dry_run:
            record.outcome = "dry-run"
            record.reason = (
                f"would set {self.target} {DIGEST_KEY} {previous} -> {digest}, preview with "
                f"the policy pack, up, verify; nothing changed"
            )
            return
        self._set_digest(record, digest)
        try:
            self.cli.preview(self.target)
            record.step("preview with policy pack", "ok")
        except PulumiError as exc:
            record.step("preview with policy pack", "fail", str(exc))
            self._set_digest(record, previous)
            raise Refused(
                f"preview of {self.target} failed; config restored, nothing deployed"
            ) from exc
        try:
            self.cli.up(self.target)
            record.step("up (waits for rollout)", "ok")
        except PulumiError as exc:
            record.step("up (waits for rollout)", "fail", str(exc))
            self._roll_back(record, previous, f"up of {self.target} failed")
            return
        report = self.verifier(self.target)
        record.verify = report.to_dict()
        if not report.passed:
            names = ", ".join(r.name for r in report.blocking)
            record.step("verify target", "fail", names)
            self._roll_back(record, previous, f"verify of {self.target} failed: {names}")
            return
        record.step("verify target", "ok", f"{len(report.results)} checks")
        record.outcome, record.reason = "promoted", f"{self.target} runs {digest}"

    def _set_digest(self, record: PromotionRecord, digest: str) -> None:
        try:
            self.cli.config_set(self.target, DIGEST_KEY, digest)
        except PulumiError as exc:
            record.step(f"set {DIGEST_KEY}", "fail", str(exc))
            raise Refused(f"cannot set {DIGEST_KEY} on {self.target}: {exc}") from exc
        record.step(f"set {DIGEST_KEY}", "ok", digest)

    def _roll_back(self, record: PromotionRecord, previous: str, why: str) -> None:
        try:
            self.cli.config_set(self.target, DIGEST_KEY, previous)
            self.cli.up(self.target)
        except PulumiError as exc:
            record.step("roll back", "fail", str(exc))
            record.outcome = "rollback-failed"
            record.reason = (
                f"{why}; ROLLBACK TO {previous} FAILED: {self.target} needs a person now ({exc})"
            )
            return
        record.step("roll back", "ok", f"{self.target} back on {previous}")
        record.outcome, record.reason = "rolled-back", f"{why}; rolled back to {previous}"
