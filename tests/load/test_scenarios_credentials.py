"""Scenario names, bounded durations, and the credentials file's shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.load.credentials import CredentialsError, credentials_load
from scripts.load.scenarios import SCENARIOS, UnknownScenarioError, scenario_get

REPO = Path(__file__).resolve().parents[2]


def test_the_five_scenarios_are_bounded_and_smoke_fits_in_ci() -> None:
    assert list(SCENARIOS) == ["smoke", "load", "stress", "spike", "soak"]
    assert SCENARIOS["smoke"].duration_s < 60
    assert all(s.duration_s <= 600 for s in SCENARIOS.values())
    assert SCENARIOS["load"].faults == ("worker-kill", "redis-restart", "postgres-restart")


def test_unknown_scenario_names_the_allowed_ones() -> None:
    with pytest.raises(UnknownScenarioError, match=r"smoke\|load\|stress\|spike\|soak"):
        scenario_get("smok")


def test_cli_refuses_an_unknown_scenario_before_starting_anything() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.load", "--scenario", "bogus"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SCENARIO must be one of smoke|load|stress|spike|soak" in result.stderr


def tenant(slug: str, **extra: object) -> dict[str, object]:
    return {"slug": slug, "tier": "free", "api_key": "hk1x", "admin_token": "ut1y", **extra}


def write(tmp_path: Path, payload: object) -> Path:
    path = tmp_path / "creds.json"
    path.write_text(json.dumps(payload))
    return path


def test_credentials_file_in_demo_shape(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "tenants": [
                tenant("a", tokens={"admin": "ut1y", "hr": "ut1h"}),
                tenant("b"),
                tenant("c", over_limit=True),
            ]
        },
    )
    a, b, c = credentials_load(path)
    assert a.headers("hr") == {"X-API-Key": "hk1x", "Authorization": "Bearer ut1h"}
    assert b.token("hr") == "ut1y"  # no hr token: the admin's
    assert c.over_limit
    assert not a.over_limit


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"tenants": []}, "no tenants"),
        ({"tenant": []}, "expected"),
        ({"tenants": [tenant("a"), {"slug": "b"}]}, "missing or empty 'tier'"),
        ({"tenants": [tenant("a"), tenant("b", tier="gold")]}, "not one of"),
        ({"tenants": [tenant("a"), tenant("a")]}, "appears twice"),
        ({"tenants": [tenant("a"), tenant("b", over_limit=True)]}, "at least two"),
        ({"tenants": [tenant("a"), tenant("b", tokens={"root": "x"})]}, "unknown roles"),
    ],
)
def test_bad_credentials_are_refused_with_the_reason(
    tmp_path: Path, payload: object, message: str
) -> None:
    with pytest.raises(CredentialsError, match=message):
        credentials_load(write(tmp_path, payload))


def test_missing_credentials_file(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="cannot read"):
        credentials_load(tmp_path / "nope.json")
