"""The generator's clean model keeps every monitored rule, and each injected family is labelled on exactly
the lines the monitoring rules find: 限就医方式 (第四批), 重复开药, 出院带药 (001 第6篇 第31条) and the line
that breaks two restrictions at once. The monitoring library itself runs on the generated files (DuckDB)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from yibao.domain.monitoring import LIBRARY
from yibao.monitoring.batch import DuckRunner, open_data_set
from yibao.monitoring.knowledge import reference_knowledge
from yibao.synthetic import generator as model
from yibao.synthetic import service
from yibao.synthetic.generator import REFILL_DAYS, Generator, Visit, load_policies
from yibao.synthetic.knobs import DEFAULT_RATES, check_knobs
from yibao.synthetic.world import ORAL_FORMS

pytestmark = pytest.mark.database_free  # runs in the SQLite pass only (conftest)

# Line families whose labels must meet the findings line for line.
FAMILIES = (
    "treatment_mode_restricted",
    "repeat_prescription",
    "discharge_medication",
    "sex_restricted",
    "age_restricted",
    "level_restricted",
    "insurance_type_restricted",
    "unbundled_charge",
    "special_drug_rules",
)
RATES = {
    "treatment_mode_restricted": 0.05,
    "repeat_prescription": 0.2,
    "discharge_medication": 0.2,
    "sex_restricted": 0.05,
    "age_restricted": 0.02,
    "level_restricted": 0.02,
    "insurance_type_restricted": 0.02,
    "unbundled_charge": 0.2,
    "special_drug_rules": 0.3,
}


def _region(out: Path, rates: dict[str, float]) -> Path:
    knobs = check_knobs(persons=2500, months=4, seed=5, admdvs="439901", rates=DEFAULT_RATES | rates)
    service.generate(knobs=knobs, out=out)
    return out


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _region(tmp_path_factory.mktemp("monitored"), RATES)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _region(tmp_path_factory.mktemp("monitored-clean"), dict.fromkeys(RATES, 0.0))


def _findings(region: Path) -> dict[str, set[str]]:
    rules = [r for r in LIBRARY if r.family in FAMILIES]
    reference = service.reference_dir()
    found = DuckRunner(threads=1, indicators=False).run(
        open_data_set(region), rules, reference_knowledge(reference)
    )
    by_family: dict[str, set[str]] = {f: set() for f in FAMILIES}
    for row in found.findings.to_pylist():
        by_family[str(row["rule_family"])].add(str(row["bkkp_sn"]))
    return by_family


def _labels(region: Path) -> dict[str, set[str]]:
    by_family: dict[str, set[str]] = {f: set() for f in FAMILIES}
    for family, sn in duckdb.sql(f"select rule_family, bkkp_sn from '{region}/labels.parquet'").fetchall():
        if family in by_family:
            by_family[family].add(str(sn))
    return by_family


def test_each_injected_family_is_found_on_exactly_its_labelled_lines(injected: Path) -> None:
    found, labelled = _findings(injected), _labels(injected)
    for family in FAMILIES:
        assert labelled[family], f"no {family} injected"
        assert found[family] == labelled[family], family


def test_clean_twin_breaks_none_of_the_rules_and_has_no_label(clean: Path) -> None:
    found, labelled = _findings(clean), _labels(clean)
    assert found == {f: set() for f in FAMILIES}
    assert labelled == {f: set() for f in FAMILIES}


def test_clean_discharge_drugs_are_oral_only(clean: Path) -> None:
    """001 第6篇 第31条: discharge medication is oral drugs only (no eye drops, creams, injections)."""
    names = {
        r[0]
        for r in duckdb.sql(
            f"select distinct hilist_name from '{clean}/fee_list_d.parquet' where dscg_tkdrug_flag = '1'"
        ).fetchall()
    }
    assert names and all(name.endswith(ORAL_FORMS) for name in names), names


def test_clean_chronic_refills_wait_for_half_the_30_day_supply(clean: Path) -> None:
    """重复开药: a chronic patient's next monthly visit comes at least 15 days after the last one."""
    gaps = duckdb.sql(f"""
        select date_diff('day', lag(cast(begntime as date)) over (partition by psn_no order by begntime),
                         cast(begntime as date)) as gap
        from '{clean}/mdtrt_d.parquet' where med_type = '14' qualify gap is not null
    """).fetchall()
    assert gaps and min(g[0] for g in gaps) >= REFILL_DAYS


def test_repeat_labels_are_refills_at_another_institution_within_half_the_supply(injected: Path) -> None:
    rows = duckdb.sql(f"""
        with f as (
          select bkkp_sn, fixmedins_code,
            lag(fixmedins_code) over w as prev_inst, lag(prd_days) over w as prev_days,
            date_diff('day', lag(cast(fee_ocur_time as date)) over w, cast(fee_ocur_time as date)) as gap
          from '{injected}/fee_list_d.parquet' where prd_days > 0 and dscg_tkdrug_flag = '0'
          window w as (partition by psn_no, med_list_codg order by fee_ocur_time, bkkp_sn))
        select f.fixmedins_code, f.prev_inst, f.gap, f.prev_days
        from '{injected}/labels.parquet' l join f using (bkkp_sn) where l.rule_family = 'repeat_prescription'
    """).fetchall()
    assert rows
    assert all(here != there and gap >= 1 and gap * 2 < days for here, there, gap, days in rows)


def test_a_maternity_only_drug_given_to_a_man_breaks_sex_and_insurance_type() -> None:
    """知识点第一批 限定性别 and 第三批 限定保险类型 both list 卡前列素氨丁三醇注射液: billed to a man in an
    outpatient visit the line breaks both; to a woman at a maternity stay (生育住院 52) neither."""
    world = service.make_world(check_knobs(persons=10, months=1, seed=1, admdvs="439901"))
    item = world.catalog.index("XG02ADK026B002010100568")
    kb = world.catalog.kb
    facts = {"age": 30, "insutype": "390", "hosp_lv": "5"}
    assert kb.breaks(item, gend="1", med_type="11", **facts) == [
        "sex_restricted",
        "insurance_type_restricted",
    ]
    assert kb.breaks(item, gend="2", med_type="11", **facts) == ["insurance_type_restricted"]
    assert kb.breaks(item, gend="2", med_type="52", **facts) == []


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_a_second_operation_of_one_group_is_billed_at_half_price_unless_injected(
    rate: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """第二批 限定主次操作: two operations of one group on one day; the cheaper (the rule's second) is
    billed at half its price by the clean model, at full price (labelled unbundled_charge) when injected."""
    monkeypatch.setattr(model, "SECOND_OPERATION", 1.0)
    knobs = check_knobs(persons=50, months=1, seed=3, admdvs="439901", rates={"unbundled_charge": rate})
    gen = Generator(service.make_world(knobs), knobs, load_policies(service.POLICY_DIR))
    gen.side = random.Random(1)
    begin = datetime(2024, 3, 4, 9)
    visit = Visit(0, 0, "2101", begin, begin + timedelta(days=5), ["K80.000"])
    gen._second_operation(visit, begin + timedelta(days=1))
    (a, _, pa, *_), (b, _, pb, *_) = visit.lines
    assert {a, b} <= {i for group in gen.catalog.surgery_groups for i in group}
    tier = gen.world.institutions.tier[0]
    caps = {a: gen.catalog.items[a].cap(tier), b: gen.catalog.items[b].cap(tier)}
    second = 0 if pa < pb else 1
    main = 1 - second
    assert visit.lines[main][2] == caps[visit.lines[main][0]]
    full = caps[visit.lines[second][0]]
    if rate:
        assert visit.lines[second][2] == full
        assert [(f, w) for f, w, _ in visit.labels] == [("unbundled_charge", second)]
    else:
        assert visit.lines[second][2] * 2 <= full and visit.labels == []


def test_the_special_drug_registry_is_written_and_clean_visits_keep_all_five_fixed(clean: Path) -> None:
    """特殊药品 五定: every special-drug line of the clean twin is for a registered patient, at the registered
    hospital, department and doctor, within the registered monthly dose."""
    registry = duckdb.sql(f"select count(*) from '{clean}/special_drug_b.parquet'").fetchone()
    assert registry is not None and registry[0] > 0
    rows = duckdb.sql(f"""
        select f.bkkp_sn, r.psn_no is not null and f.fixmedins_code = r.fixmedins_code
               and f.bilg_dept_codg = r.dept_codg and f.bilg_dr_code = r.dr_code and f.cnt <= r.max_cnt_month
        from '{clean}/fee_list_d.parquet' f
        left join '{clean}/special_drug_b.parquet' r
          on r.psn_no = f.psn_no and r.med_list_codg = f.med_list_codg
        where f.med_list_codg in (select med_list_codg from '{clean}/special_drug_b.parquet')
    """).fetchall()
    assert rows and all(ok for _sn, ok in rows)


def test_an_upcoded_complication_is_one_whose_care_the_stay_does_not_bill() -> None:
    """高套编码: a severe stay's meropenem (XJ01DH) is sepsis care, so A41 is no upcoding there; J96 is."""
    knobs = check_knobs(persons=50, months=1, seed=3, admdvs="439901")
    gen = Generator(service.make_world(knobs), knobs, load_policies(service.POLICY_DIR))
    begin = datetime(2024, 3, 4, 9)
    visit = Visit(0, 0, "2101", begin, begin + timedelta(days=5), ["J18.900"])
    meropenem = gen.catalog.index("XJ01DHA024B002010100036")
    assert not gen._cared(visit, "A41.900")
    gen._add(visit, meropenem, 2, begin)
    assert gen._cared(visit, "A41.900") and not gen._cared(visit, "J96.000")
