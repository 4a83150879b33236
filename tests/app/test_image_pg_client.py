"""The app image's pg_dump can dump the stacks' database: its major is tied to the engine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stacks.config import parse_stack_config
from stacks.offline.engine import available_stacks, load_stack_config

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "app" / "Dockerfile"
PG_IMAGE = re.compile(
    r"--from=postgres:(?P<major>\d+)\.\d+-(?P<debian>[a-z]+)@sha256:[0-9a-f]{64} "
)
PG_BIN = re.compile(r"/usr/lib/postgresql/(\d+)/bin/")


def _engine_major(stack: str) -> int:
    raw = load_stack_config(stack)
    config = parse_stack_config(stack, lambda key: raw.get(f"hrms:{key}"), raw.get("aws:region"))
    return int(config.database.engine_version.split(".")[0])


def test_the_image_takes_pg_client_tools_from_one_pinned_postgres_image() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    images = list(PG_IMAGE.finditer(text))
    assert len(images) == 1, "one postgres image, pinned by tag and digest"
    bases = re.findall(r"^FROM python:\S+-(\w+) AS", text, flags=re.MULTILINE)
    # Libraries come from the postgres image onto the python base: the same Debian release.
    assert bases == [images[0]["debian"]] * 2


@pytest.mark.parametrize("stack", available_stacks())
def test_pg_dump_in_the_image_is_not_older_than_the_stacks_engine(stack: str) -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    image = PG_IMAGE.search(text)
    assert image is not None
    majors = {int(image["major"]), *(int(m) for m in PG_BIN.findall(text))}
    # Tools copied from and to the same major's directory, that of the image's tag.
    assert len(majors) == 1, majors
    assert majors.pop() >= _engine_major(stack)


def test_both_tools_reach_the_runtime_stage() -> None:
    runtime = DOCKERFILE.read_text(encoding="utf-8").split("\nFROM ")[-1]
    assert "COPY --from=build /opt/pgclient/bin/ /usr/lib/postgresql/" in runtime
    assert "COPY --from=build /opt/pgclient/lib/ /usr/local/lib/" in runtime
    for tool in ("pg_dump", "pg_restore"):
        # The build fails unless the tool loads with the libraries it was given.
        assert re.search(rf"/usr/lib/postgresql/\d+/bin/{tool} --version", runtime), tool
