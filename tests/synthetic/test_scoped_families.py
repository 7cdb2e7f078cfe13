"""Person- and doctor-scope abuse: the labelled persons and doctors carry the pattern, and a clean twin
region (the family's rate at 0, everything else equal) has neither the pattern nor a label."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from yibao.synthetic import service
from yibao.synthetic.generator import MILD_PREFIXES
from yibao.synthetic.knobs import DEFAULT_RATES, check_knobs

pytestmark = pytest.mark.database_free  # runs in the SQLite pass only (conftest)

RATES = {"frequent_visits": 0.01, "low_standard_admission": 0.05}
# 频繁门诊 over 10 visits a month (普通门诊, 门诊慢特病 …), 频繁购药 over 8 purchases (monitoring's limits).
OUTPATIENT_TYPES = ("11", "13", "14", "1301", "9901")


def _region(out: Path, rates: dict[str, float]) -> Path:
    knobs = check_knobs(persons=3000, months=3, seed=11, admdvs="439901", rates=DEFAULT_RATES | rates)
    service.generate(knobs=knobs, out=out)
    return out


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _region(tmp_path_factory.mktemp("scoped"), RATES)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _region(tmp_path_factory.mktemp("scoped-clean"), dict.fromkeys(RATES, 0.0))


def _frequent_persons(region: Path) -> set[str]:
    rows = duckdb.sql(f"""
        select psn_no from '{region}/mdtrt_d.parquet'
        group by psn_no, strftime(begntime, '%Y-%m')
        having count(*) filter (where med_type in {OUTPATIENT_TYPES}) > 10
            or count(*) filter (where med_type = '41') > 8
    """).fetchall()
    return {r[0] for r in rows}


def _mild_admissions(region: Path) -> list[tuple[str, str, str, bool]]:
    """(doctor, institution, visit, had an outpatient visit in the 72 hours before) of the stays whose main
    diagnosis is a mild condition (先门诊或留观病种)."""
    mild = " or ".join(f"starts_with(v.dscg_maindiag_code, '{p}')" for p in MILD_PREFIXES)
    return [
        (r[0], r[1], r[2], bool(r[3]))
        for r in duckdb.sql(f"""
            select v.chfpdr_code, v.fixmedins_code, v.mdtrt_id, count(o.mdtrt_id) > 0
            from '{region}/mdtrt_d.parquet' v
            left join '{region}/mdtrt_d.parquet' o on o.psn_no = v.psn_no and o.med_type not like '2%'
              and o.begntime between v.begntime - interval 72 hour and v.begntime
            where v.med_type like '2%' and ({mild})
            group by all
        """).fetchall()
    ]


def _labels(region: Path, family: str) -> list[tuple[object, ...]]:
    return duckdb.sql(f"""
        select scope, bkkp_sn, mdtrt_id, psn_no, fixmedins_code, dr_code
        from '{region}/labels.parquet' where rule_family = '{family}'
    """).fetchall()


def test_frequent_visits_labels_name_exactly_the_persons_with_a_burst_of_visits(injected: Path) -> None:
    """Scope person: a label per burst (psn_no only); the labelled persons are those with more than 10
    outpatient visits or 8 pharmacy purchases in a month."""
    labels = _labels(injected, "frequent_visits")
    assert labels and {row[0] for row in labels} == {"person"}
    assert all(row[1] is None and row[2] is None and row[4] is None and row[5] is None for row in labels)
    assert _frequent_persons(injected) == {str(row[3]) for row in labels}


def test_low_standard_admission_labels_name_exactly_the_doctors_admitting_mild_cases(injected: Path) -> None:
    """Scope doctor: one label per doctor (dr_code and the doctor's institution); the labelled doctors are
    those whose stays have a mild main diagnosis, and their stays had no outpatient care before."""
    labels = _labels(injected, "low_standard_admission")
    assert labels and {row[0] for row in labels} == {"doctor"}
    assert all(row[1] is None and row[2] is None and row[3] is None for row in labels)
    doctors = {str(row[5]): str(row[4]) for row in labels}
    assert len(doctors) == len(labels)  # once per doctor
    stays = _mild_admissions(injected)
    assert {dr for dr, _inst, _v, _before in stays} == set(doctors)
    assert all(doctors[dr] == inst for dr, inst, _v, _before in stays)
    for dr in doctors:  # each labelled doctor has stays without outpatient care in the 72 hours before
        assert any(not before for d, _i, _v, before in stays if d == dr)


def test_clean_twin_has_no_burst_no_mild_admission_and_no_label(clean: Path) -> None:
    assert _frequent_persons(clean) == set()
    assert _mild_admissions(clean) == []
    assert _labels(clean, "frequent_visits") == [] and _labels(clean, "low_standard_admission") == []
