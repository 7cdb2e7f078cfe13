"""The generator's clean model keeps every monitored rule, and each injected family is labelled on exactly
the lines (or visits) the monitoring rules find: 限就医方式 (第四批), 重复开药, 出院带药 (001 第6篇 第31条),
限支付疗程 (第六批 / 第八批-3), 诊断与性别/年龄不符, 计费日期与住院时间不符 and the line that breaks two
restrictions at once. The monitoring library itself runs on the generated files (DuckDB)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
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
    "course_restricted",
    "diagnosis_mismatch",
    "data_quality",
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
    "course_restricted": 0.3,
    "diagnosis_mismatch": 0.02,
    "data_quality": 0.05,
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
    for row in found.findings.to_pylist():  # a line, or the visit of a visit-scope family
        by_family[str(row["rule_family"])].add(str(row["bkkp_sn"] or row["mdtrt_id"]))
    return by_family


def _labels(region: Path) -> dict[str, set[str]]:
    by_family: dict[str, set[str]] = {f: set() for f in FAMILIES}
    labels = duckdb.sql(f"select rule_family, coalesce(bkkp_sn, mdtrt_id) from '{region}/labels.parquet'")
    for family, key in labels.fetchall():
        if family in by_family:
            by_family[family].add(str(key))
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


def _generator(**rates: float) -> Generator:
    knobs = check_knobs(persons=200, months=3, seed=3, admdvs="439901", rates=rates)
    gen = Generator(service.make_world(knobs), knobs, load_policies(service.POLICY_DIR))
    gen.side = gen.extra = random.Random(1)
    return gen


def test_a_course_limited_item_is_given_again_after_its_course_from_the_first_use() -> None:
    """限支付疗程 (GZ10000101010000 第六批, GZ10000102010000 第八批-3): the item is first given on the stay's
    first day (clean: inside the course), then at a follow-up visit at the same hospital at least its days
    after that first use and after the discharge; only the follow-up's line is labelled. Once the person
    has had every course-limited item, no further injection (its 'first use' would be a later one)."""
    gen = _generator(course_restricted=1.0)
    course = gen.catalog.course
    assert {gen.catalog.items[i].kind for i in course} == {"drug", "service"}
    begin = datetime(2024, 1, 8, 9)
    stay = Visit(0, 0, "2101", begin, begin + timedelta(days=3), ["I63.900"], ipt_days=3)
    follow = gen._course(stay)
    assert follow is not None
    (item, _, _, given, *_) = stay.lines[-1]
    assert item in course and given.date() == begin.date() and stay.labels == []
    line = follow.lines[-1]
    assert line[0] == item and follow.inst == stay.inst and follow.med_type == "11"
    assert (line[3].date() - given.date()).days >= course[item] and line[3] > stay.end
    assert [(f, w) for f, w, _ in follow.labels] == [("course_restricted", len(follow.lines) - 1)]
    for _ in range(len(course) - 1):
        assert gen._course(Visit(0, 0, "2101", begin, begin + timedelta(days=3), ["I63.900"])) is not None
    assert gen._course(Visit(0, 0, "2101", begin, begin + timedelta(days=3), ["I63.900"])) is None


@pytest.mark.parametrize(("gend", "age", "allowed"), [(1, 30, "NP"), (2, 30, "NP"), (2, 60, "NPO")])
def test_a_mismatched_diagnosis_is_one_the_patient_cannot_have(gend: int, age: int, allowed: str) -> None:
    """诊断与性别/年龄不符 (GZ10000204006000 / GZ10000204007000): a man gets a female-only diagnosis (N76), a
    woman a male-only one (N45), anyone past the first year a perinatal one (P), a woman outside 12–55 an
    obstetric one (O); the visit carries one visit-scope label."""
    gen = _generator(diagnosis_mismatch=1.0)
    persons = gen.world.persons
    person = next(
        n
        for n in range(len(persons))
        if persons.gend[n] == gend and gen._person_age(n, date(2024, 2, 1)) == age
    )
    seen = set()
    for seed in range(30):
        gen.extra = random.Random(seed)
        at = datetime(2024, 2, 1, 9)
        visit = Visit(person, 0, "11", at, at + timedelta(minutes=20), ["J06.900"])
        gen._diagnosis_mismatch(visit)
        code = visit.diagnoses[-1]
        assert len(visit.diagnoses) == 2 and [(f, w) for f, w, _ in visit.labels] == [
            ("diagnosis_mismatch", None)
        ]
        seen.add(code[0])
        if code[0] == "N":
            assert (code[:3] >= "N70") == (gend == 1)  # the other sex's
    assert seen == set(allowed)


def test_more_outlier_hospitals_on_request_leave_the_rest_of_the_region_as_it_was() -> None:
    """provider_outlier: `--outliers 3` makes at least three hospitals grow fast (the rate alone gives one in
    a small region); the persons and the other institutions are those of the same seed without it."""
    one = service.make_world(check_knobs(persons=20000, months=1, seed=1, admdvs="439901"))
    three = service.make_world(check_knobs(persons=20000, months=1, seed=1, admdvs="439901", outliers=3))
    assert int(one.institutions.outlier.sum()) == 1 and int(three.institutions.outlier.sum()) == 3
    assert (one.institutions.outlier <= three.institutions.outlier).all()
    assert all(three.institutions.kind[three.institutions.outlier] <= 2)  # hospitals only
    assert (one.persons.psn_no == three.persons.psn_no).all() and (
        one.persons.birth == three.persons.birth
    ).all()
