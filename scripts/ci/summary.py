"""The pull request's verdict as Markdown (for ``$GITHUB_STEP_SUMMARY``): policy and parity."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def summary(build: Path) -> tuple[str, bool]:
    """(Markdown, passed) from ``build/policy/<stack>.json`` and ``build/parity.json``."""
    lines = ["## Offline preview verdict", "", "| check | result |", "|---|---|"]
    passed = True
    for stack in ("staging", "prod"):
        report = _load(build / "policy" / f"{stack}.json")
        if report is None:
            lines.append(f"| policy ({stack}) | :x: no verdict (preview failed before policy) |")
            passed = False
            continue
        counts = report["summary"]
        ok = counts["mandatory_violations"] == 0
        passed &= ok
        mark = ":white_check_mark:" if ok else ":x:"
        lines.append(
            f"| policy ({stack}) | {mark} {counts['mandatory_violations']} mandatory, "
            f"{counts['advisory_violations']} advisory of {counts['rules']} rules |"
        )
        for violation in report.get("violations", [])[:20]:
            lines.append(
                f"| &nbsp;&nbsp;{violation.get('rule')} | {violation.get('message', '')} |"
            )
    parity = _load(build / "parity.json")
    if parity is None:
        lines.append("| parity | :x: no parity report |")
        passed = False
    else:
        ok = bool(parity.get("ok"))
        passed &= ok
        mark = ":white_check_mark:" if ok else ":x:"
        lines.append(
            f"| parity | {mark} {parity.get('undeclaredCount', '?')} undeclared difference(s) "
            f"over {parity.get('resourcesCompared', '?')} resources |"
        )
    lines += [
        "",
        f"**{'PASS' if passed else 'FAIL'}** — full report in the `preview-report` artifact.",
    ]
    return "\n".join(lines) + "\n", passed


def main(argv: list[str]) -> int:
    text, _ = summary(Path(argv[0] if argv else "build"))
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
