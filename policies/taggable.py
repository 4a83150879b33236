"""Which pulumi-aws resource types take ``tags``: a list generated from the pinned provider.

The pack must not import pulumi_aws (slow, and not a pack requirement), so the list is
read from ``policies/data/taggable_aws_types.json``. Regenerate after a provider upgrade:
``python -m policies.taggable``; a test fails while the file is stale.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import util
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "taggable_aws_types.json"

_TOKEN_RE = re.compile(r"super\(\w*,? ?\w*\)\.__init__\(\s*'(aws:[^']+)'")
# Args classes declare a plain string map of tags; tagsAll is output-only.
_TAGS_ARG_RE = re.compile(
    r"^\s+tags: (?:Optional\[)?pulumi\.Input\[(?:Optional\[)?Mapping\[str, pulumi\.Input\[",
    re.MULTILINE,
)


@cache
def taggable_types() -> frozenset[str]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return frozenset(str(t) for t in data["types"])


def scan_provider() -> list[str]:
    """Type tokens of every pulumi-aws resource whose args accept a ``tags`` map."""
    spec = util.find_spec("pulumi_aws")
    if spec is None or spec.origin is None:
        raise RuntimeError("pulumi_aws is not installed; it is needed to regenerate the list")
    root = Path(spec.origin).parent
    found: set[str] = set()
    for path in root.rglob("*.py"):
        if path.name.startswith("_") or path.name.startswith("get_"):
            continue
        text = path.read_text(encoding="utf-8")
        token = _TOKEN_RE.search(text)
        if token and _TAGS_ARG_RE.search(text):
            found.add(token.group(1))
    return sorted(found)


def render(types: list[str]) -> str:
    document = {"generatedBy": "python -m policies.taggable", "types": types}
    return json.dumps(document, indent=1) + "\n"


def main() -> None:
    DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
    types = scan_provider()
    DATA_FILE.write_text(render(types), encoding="utf-8")
    print(f"{len(types)} taggable types -> {DATA_FILE}")


if __name__ == "__main__":
    main()
