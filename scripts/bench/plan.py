"""Plan benchmark: synthesis time per stack, per-resource cost (N = 10/100/1000), imports, memory.

Prints a table and writes ``build/bench/plan.json``. Run with ``make bench-plan``. Imports and
peak memory are measured in fresh interpreters so one measurement cannot warm another.
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "build" / "bench" / "plan.json"
STACKS = ("staging", "prod")
SIZES = (10, 100, 1000)
REPEATS = 3

# Run in a child interpreter; prints one JSON object.
_IMPORT_PROBE = """
import json, time
t0 = time.perf_counter()
import pulumi
t1 = time.perf_counter()
import pulumi_aws
t2 = time.perf_counter()
import stacks.program
t3 = time.perf_counter()
print(json.dumps({"pulumi": t1 - t0, "pulumi_aws": t2 - t1, "program": t3 - t2}))
"""

_PREVIEW_PROBE = """
import json, resource, sys, time
from stacks.offline.engine import preview_stack
t0 = time.perf_counter()
plan = preview_stack(sys.argv[1])
elapsed = time.perf_counter() - t0
rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
figures = {"seconds": elapsed, "max_rss_mib": rss_kib / 1024, "resources": len(plan.resources)}
print(json.dumps(figures))
"""


def _child(code: str, *args: str) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed probe
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def synthetic_program(count: int) -> Any:
    import pulumi
    import pulumi_aws as aws

    def program() -> None:
        key = aws.kms.Key("bench-key", enable_key_rotation=True)
        for index in range(count):
            # Each depends on the key so the engine also resolves outputs, as real stacks do.
            aws.cloudwatch.LogGroup(
                f"bench-logs-{index}",
                retention_in_days=30,
                kms_key_id=key.arn,
                tags={"Service": "hrms", "Index": str(index)},
            )
        pulumi.export("count", count)

    return program


def per_resource_cost() -> list[dict[str, Any]]:
    from stacks.offline.engine import synthesize

    synthesize(synthetic_program(1), stack="bench")  # warm imports and the event loop
    rows = []
    for count in SIZES:
        timings = []
        cpu = []
        for _ in range(REPEATS):
            gc.collect()  # the previous run's garbage is not this run's cost
            start, start_cpu = time.perf_counter(), time.process_time()
            plan = synthesize(synthetic_program(count), stack="bench")
            timings.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            assert len(plan.by_type("aws:cloudwatch/logGroup:LogGroup")) == count  # noqa: S101
        best = min(timings)
        rows.append(
            {
                "resources": count,
                "best_seconds": best,
                "median_seconds": statistics.median(timings),
                "ms_per_resource": best / count * 1000,
                # CPU time of this process: what the figure is on a machine shared with others.
                "cpu_ms_per_resource": min(cpu) / count * 1000,
            }
        )
    return rows


def stack_synthesis() -> list[dict[str, Any]]:
    from stacks.offline.engine import preview_stack

    rows = []
    for stack in STACKS:
        preview_stack(stack)  # first run pays the imports; measured separately below
        timings = []
        for _ in range(REPEATS):
            gc.collect()
            start = time.perf_counter()
            plan = preview_stack(stack)
            timings.append(time.perf_counter() - start)
        tracemalloc.start()
        preview_stack(stack)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(
            {
                "stack": stack,
                "resources": len(plan.resources),
                "best_seconds": min(timings),
                "median_seconds": statistics.median(timings),
                "python_peak_alloc_mib": peak / 2**20,
            }
        )
    return rows


def main() -> None:
    console = Console()
    imports = _child(_IMPORT_PROBE)
    cold = {stack: _child(_PREVIEW_PROBE, stack) for stack in STACKS}
    stacks = stack_synthesis()
    scaling = per_resource_cost()

    table = Table(title="Plan synthesis per stack (warm process)", title_justify="left")
    for column in (
        "stack",
        "resources",
        "best s",
        "median s",
        "peak alloc MiB",
        "cold s",
        "RSS MiB",
    ):
        table.add_column(column, justify="right")
    for row in stacks:
        first = cold[row["stack"]]
        table.add_row(
            row["stack"],
            str(row["resources"]),
            f"{row['best_seconds']:.3f}",
            f"{row['median_seconds']:.3f}",
            f"{row['python_peak_alloc_mib']:.1f}",
            f"{first['seconds']:.2f}",
            f"{first['max_rss_mib']:.0f}",
        )
    console.print(table)

    scale = Table(title="Per-resource cost, synthetic log groups", title_justify="left")
    for column in ("N", "best s", "median s", "ms / resource", "CPU ms / resource"):
        scale.add_column(column, justify="right")
    for row in scaling:
        scale.add_row(
            str(row["resources"]),
            f"{row['best_seconds']:.3f}",
            f"{row['median_seconds']:.3f}",
            f"{row['ms_per_resource']:.2f}",
            f"{row['cpu_ms_per_resource']:.2f}",
        )
    console.print(scale)
    console.print(
        f"imports (fresh interpreter): pulumi {imports['pulumi']:.2f}s, "
        f"pulumi_aws {imports['pulumi_aws']:.2f}s, stacks.program {imports['program']:.2f}s"
    )

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "python": sys.version.split()[0],
                "stacks": stacks,
                "cold_preview": cold,
                "per_resource": scaling,
                "import_seconds": imports,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    console.print(f"written to {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
