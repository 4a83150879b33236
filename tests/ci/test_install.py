"""`make preview` installs only what the preview imports; `make test` installs everything."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQ = ROOT / "requirements"


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (REQ / name).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)", line)
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


def test_preview_set_agrees_with_the_full_set_and_names_no_index() -> None:
    base, preview, dev = pins("base.txt"), pins("preview.txt"), pins("dev.txt")
    for name, version in preview.items():
        assert base.get(name, version) == version, name
        assert dev.get(name, version) == version, name
    assert set(preview) - set(base) <= set(dev)  # make test still gets all of them
    assert pins("tools.txt").keys() == {"uv"}
    for path in REQ.iterdir():
        text = path.read_text()
        assert "--index-url" not in text, path
        assert "://" not in text, path


def test_make_preview_depends_on_the_preview_install_only() -> None:
    makefile = (ROOT / "Makefile").read_text()
    target = re.search(r"^preview: (.+?) ##", makefile, re.M)
    assert target
    assert target.group(1) == "$(PREVIEW_STAMP)"
    script = (ROOT / "scripts" / "install_venv.sh").read_text()
    assert "preview) files=(requirements/base.txt requirements/preview.txt) ;;" in script
    assert "dev) files=(requirements/base.txt requirements/preview.txt requirements/dev.txt)" in (
        script
    )


# Imported only when installed (urllib3's brotli, jsonschema's date-time format checker,
# optional process stats); the preview runs without them, as a fresh `make preview` shows.
OPTIONAL = {"brotli", "psutil", "rfc3339-validator"}

PROBE = """
import importlib.metadata as md, sys
from scripts.hrmsctl import run
out = sys.argv[1]
codes = [
    run(["preview", "--stack", "staging", "--json", f"{out}/plan/staging.json",
         "--k8s-dir", f"{out}/k8s"]),
    run(["policy", "--stack", "staging", "--plan", f"{out}/plan/staging.json",
         "--json", f"{out}/policy/staging.json"]),
    run(["accept", "--stack", "staging", "--plan", f"{out}/plan/staging.json",
         "--json", f"{out}/acceptance/staging.json"]),
    run(["report", "--plans", f"{out}/plan", "--out", f"{out}/report"]),
]
assert codes == [0, 0, 0, 0], codes
owners = md.packages_distributions()
used = {d for m in list(sys.modules) for d in owners.get(m.split(".")[0], [])}
print("DISTS", " ".join(sorted(used)))
"""


@pytest.mark.slow
@pytest.mark.infra
def test_what_the_preview_imports_is_in_base_and_preview(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("DISTS "))
    used = {re.sub(r"[-_.]+", "-", d).lower() for d in line.split()[1:]}
    allowed = set(pins("base.txt")) | set(pins("preview.txt")) | {"hrms-platform"} | OPTIONAL
    assert "kubernetes-validate" in used
    assert used - allowed == set()
