"""Each benchmark script still runs (at a tiny size); the figures themselves live in docs/PERFORMANCE.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.database_free  # runs in the SQLite pass only (conftest)

ROOT = Path(__file__).resolve().parent.parent

SMOKE = {
    "generator.py": ["--persons", "300", "--months", "1", "--baseline-persons", "300"],
    "reference_lookup.py": ["--checks", "2000"],
    "enrolment_bulk.py": ["--persons", "100", "--baseline-persons", "20"],
    "settlement.py": ["--db", "sqlite", "--bills", "20", "--items", "30", "--persons", "6"],
    "interface_load.py": [
        "--db",
        "sqlite",
        "--clients",
        "2",
        "--seconds",
        "2",
        "--items",
        "10",
        "--persons",
        "4",
    ],
    "drg_grouping.py": ["--cases", "3000", "--baseline", "50"],
    "dip_clearing.py": ["--cases", "20000", "--baseline", "500", "--institutions", "6"],
    "monitoring.py": ["--lines", "5000", "--visits-checked", "200"],
    "interface_profile.py": ["--db", "sqlite", "--flows", "3", "--lines", "5"],
}
# What each run must print: a benchmark its ratio to the baseline; the interface profile (a diagnosis
# of the per-call work, no baseline) its table row of the settlement call.
EXPECTED = {"interface_profile.py": "2207 "}


@pytest.mark.parametrize("script", sorted(SMOKE))
def test_benchmark_runs_at_tiny_size(script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *SMOKE[script]],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert EXPECTED.get(script, "ratio:") in result.stdout


def test_every_benchmark_has_a_smoke_run() -> None:
    assert {p.name for p in (ROOT / "benchmarks").glob("*.py")} == set(SMOKE)
