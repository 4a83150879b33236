"""A stand-in ``pulumi`` executable: records each call, answers from a scenario file.

Scenario (JSON, path in $STANDIN_SCENARIO): ``outputs`` per stack, ``deployed`` digest per
stack, ``config`` digest per stack, ``fail`` (``"preview"``, ``"up:<n>"`` for the n-th up,
``"output:<stack>"``, ``"config"``) and ``calls`` (appended argv lists).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    path = Path(os.environ["STANDIN_SCENARIO"])
    state = json.loads(path.read_text())
    state["calls"].append(argv)
    fail = set(state.get("fail", []))
    stack = argv[argv.index("--stack") + 1] if "--stack" in argv else ""
    code = 0
    if argv[:2] == ["stack", "output"]:
        if f"output:{stack}" in fail:
            print(f"error: no stack named '{stack}' found", file=sys.stderr)
            code = 255
        else:
            outputs = dict(state["outputs"][stack])
            outputs["imageDigest"] = state["deployed"][stack]
            print(json.dumps(outputs))
    elif argv[:2] == ["config", "set"]:
        if "config" in fail:
            print("error: could not set config", file=sys.stderr)
            code = 255
        else:
            state["config"][stack] = argv[4]
    elif argv[0] == "preview":
        print("Previewing update (prod):\n  ~ kubernetes:apps/v1:Deployment hrms-app update")
        if "preview" in fail:
            print("Policy Violations:\n    [mandatory]  hrms-policies  rds-deletion-protection")
            code = 255
    elif argv[0] == "up":
        state["ups"] = state.get("ups", 0) + 1
        if f"up:{state['ups']}" in fail:
            print("error: 1 error occurred: Deployment hrms-app rollout failed", file=sys.stderr)
            code = 255
        else:
            state["deployed"][stack] = state["config"][stack]
            print("Resources:\n    ~ 1 updated\nDuration: 2m3s")
    else:
        print(f"stand-in: unexpected call {argv}", file=sys.stderr)
        code = 2
    path.write_text(json.dumps(state))
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
