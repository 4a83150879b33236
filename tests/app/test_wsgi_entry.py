"""``app.wsgi`` leaves what it loaded out of the cyclic garbage collector's reach."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = r"""
import gc, json
import app.wsgi
print(json.dumps({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects()),
                  "views_loaded": "app.people.views" in __import__("sys").modules}))
"""


def test_the_loaded_app_is_frozen_out_of_the_collector(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "app.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result["views_loaded"], "the URLconf (and so every view) is loaded before freezing"
    # Everything imported is frozen; only what the probe itself made since is tracked.
    assert result["frozen"] > 50_000, result
    assert result["tracked"] < 1_000, result
