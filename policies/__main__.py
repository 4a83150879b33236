"""Entry point the Pulumi CLI runs for ``--policy-pack policies``: serves the pack over gRPC."""

from __future__ import annotations

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

# The CLI runs this file by path, so only this directory is on sys.path; the rules
# import each other as the ``policies`` package, which lives one level up.
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from policies.registry import PACK_DESCRIPTION, PACK_NAME, all_policies  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    description=PACK_DESCRIPTION,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=list(all_policies()),
)
