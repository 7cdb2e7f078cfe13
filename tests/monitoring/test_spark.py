"""The same rule definitions on Apache Spark (SQL transpiled by SQLGlot) return exactly the DuckDB findings.

One Spark session (local[2], bound to 127.0.0.1, UI off) serves the module; every hand-made case of
test_rules, firing and clean, is merged into one data set with its ids prefixed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.monitoring.builder import DataBuilder
from tests.monitoring.test_rules import CASES, knowledge
from yibao.domain.monitoring import LIBRARY
from yibao.monitoring.batch import DuckRunner, SparkRunner, open_data_set, spark_session, to_spark

pytestmark = pytest.mark.database_free  # runs in the SQLite pass only (conftest)

_IDS = ("mdtrt_id", "setl_id", "psn_no", "bkkp_sn", "fixmedins_code", "round_id")


def merged() -> DataBuilder:
    """Every case (fire and clean twin) in one data set, ids prefixed by the case."""
    whole = DataBuilder()
    for n, rule_id in enumerate(sorted(CASES)):
        for fire in (True, False):
            b = DataBuilder()
            CASES[rule_id](b, fire)
            prefix = f"C{n:02d}{'F' if fire else 'K'}"
            for table, rows in b.rows.items():
                for row in rows:
                    whole.rows[table].append(
                        {k: (f"{prefix}{v}" if k in _IDS and v else v) for k, v in row.items()}
                    )
    return whole


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    session = spark_session("local[2]")
    yield session
    session.stop()


def test_spark_returns_exactly_the_duckdb_findings(spark: Any, tmp_path: Path) -> None:
    data = open_data_set(merged().write(tmp_path / "data"))
    duck = DuckRunner().run(data, LIBRARY, knowledge())
    sparked = SparkRunner(spark).run(data, LIBRARY, knowledge())
    assert duck.findings.num_rows >= len(CASES)  # every firing case, some more than once
    assert sparked.findings.to_pylist() == duck.findings.to_pylist()
    assert {r["rule_id"] for r in duck.findings.to_pylist()} == set(CASES)
    assert sparked.quarantine.num_rows == duck.quarantine.num_rows == 0
    # the statistical indicators too: every level, unit and month, every figure
    assert duck.indicators is not None and sparked.indicators is not None
    assert duck.indicators.num_rows > 100
    assert sparked.indicators.to_pylist() == duck.indicators.to_pylist()


def test_the_spark_text_is_transpiled_not_a_second_copy() -> None:
    sql = "SELECT date_diff('day', a, b) AS d, epoch(t) AS e, strftime(t, '%Y-%m') AS m FROM x"
    assert to_spark(sql) == (
        "SELECT DATEDIFF(DAY, a, b) AS d, UNIX_TIMESTAMP(t) AS e, DATE_FORMAT(t, 'yyyy-MM') AS m FROM x"
    )
