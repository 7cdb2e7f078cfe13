"""The synthetic region generator: layout, determinism, settlement identities, labels, bad knobs."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from yibao.domain.errors import BusinessError
from yibao.synthetic import service
from yibao.synthetic.knobs import DEFAULT_RATES, check_knobs, check_out_dir
from yibao.synthetic.world import GRAY
from yibao.synthetic.writer import SCHEMAS

pytestmark = pytest.mark.database_free  # runs in the SQLite pass only (conftest)

WAREHOUSE = Path("/work/shared/reference/platform-tables/WAREHOUSE.md")


def _run(out: Path, *, seed: int = 7, rates: dict[str, float] | None = None, persons: int = 1500) -> None:
    knobs = check_knobs(persons=persons, months=3, seed=seed, admdvs="439901", rates=rates)
    service.generate(knobs=knobs, out=out)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("region")
    # High rates so every family appears in a small region.
    _run(out, rates=dict.fromkeys(DEFAULT_RATES, 0.2) | {"frequent_visits": 0.01})
    return out


def _warehouse_columns() -> dict[str, list[str]]:
    text = WAREHOUSE.read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = re.match(r"\| (\w+) \([^)]*\) \| (.+) \|$", line)
        if match:
            cells = re.sub(r"\([^)]*\)", "", match.group(2))
            found[match.group(1)] = [c.strip() for c in cells.split(",") if c.strip()]
    return found


def test_layout_columns_exactly_as_warehouse_md(dataset: Path) -> None:
    expected = _warehouse_columns()
    assert set(expected) >= {"mdtrt_d", "setl_d", "fee_list_d", "psn_b", "ward_round_d"}
    for table, columns in expected.items():
        assert pq.read_schema(dataset / f"{table}.parquet").names == columns, table
    assert pq.read_schema(dataset / "labels.parquet").names == SCHEMAS["labels"].names


def test_same_seed_same_files_other_seed_other_data(tmp_path: Path) -> None:
    def digest(folder: Path) -> str:
        tables = ("mdtrt_d", "setl_d", "fee_list_d", "labels")
        return hashlib.sha256(
            repr([pq.read_table(folder / f"{t}.parquet").to_pylist() for t in tables]).encode()
        ).hexdigest()

    _run(tmp_path / "a", persons=400)
    _run(tmp_path / "b", persons=400)
    _run(tmp_path / "c", persons=400, seed=8)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_settlement_identities_hold_on_every_settlement(dataset: Path) -> None:
    bad = duckdb.sql(f"""
        select count(*) from '{dataset}/setl_d.parquet'
        where medfee_sumamt <> fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_amt
           or fund_pay_sumamt <> hifp_pay + cvlserv_pay + hifmi_pay + maf_pay
           or psn_pay <> acct_pay + cash_payamt
           or medfee_sumamt <> fund_pay_sumamt + psn_pay
           or act_pay_dedc + hifp_pay > inscp_amt
    """).fetchone()
    assert bad == (0,)
    # The lines of each settlement add up to it, split by split.
    mismatched = duckdb.sql(f"""
        with l as (select setl_id, sum(det_item_fee_sumamt) fee, sum(fulamt_ownpay_amt) ful,
                          sum(inscp_amt) ins
                   from '{dataset}/fee_list_d.parquet' group by setl_id)
        select count(*) from '{dataset}/setl_d.parquet' s join l using (setl_id)
        where s.medfee_sumamt <> l.fee or s.fulamt_ownpay_amt <> l.ful or s.inscp_amt <> l.ins
    """).fetchone()
    assert mismatched == (0,)
    lines = duckdb.sql(f"""
        select count(*) from '{dataset}/fee_list_d.parquet'
        where det_item_fee_sumamt <> fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_amt
           or det_item_fee_sumamt <> round(pric * cnt, 2)
    """).fetchone()
    assert lines == (0,)


def _labelled(dataset: Path, family: str, key: str) -> set[str]:
    rows = duckdb.sql(
        f"select {key} from '{dataset}/labels.parquet' where rule_family = '{family}'"
    ).fetchall()
    return {r[0] for r in rows}


def _found(dataset: Path, family: str) -> set[str]:
    """An independent check of each family on the data (what a rule would see), keyed like its labels."""
    d = dataset
    queries = {
        "over_price_cap": f"select bkkp_sn from '{d}/fee_list_d.parquet' where pric > pric_uplmt_amt",
        "sex_restricted": f"""select bkkp_sn from '{d}/fee_list_d.parquet' where fulamt_ownpay_amt > 0
            and chrgitm_lv <> '03' and bkkp_sn in (select bkkp_sn from '{d}/fee_list_d.parquet' f
            join '{d}/mdtrt_d.parquet' m using (mdtrt_id) where hilist_name is not null) and false""",
        "frequency_exceeded": f"""select bkkp_sn from '{d}/fee_list_d.parquet'
            where med_list_codg = '001102000050000' and cnt > 1""",
        "dialysis_overcount": f"""select bkkp_sn from '{d}/fee_list_d.parquet'
            where hilist_name = '血液透析' and cnt > 13""",
        "discharge_medication": f"""select bkkp_sn from '{d}/fee_list_d.parquet'
            where dscg_tkdrug_flag = '1' and prd_days > 7""",
        "excess_quantity": f"""select bkkp_sn from '{d}/fee_list_d.parquet' f join '{d}/mdtrt_d.parquet' m
            using (mdtrt_id) where m.med_type = '11' and f.prd_days > 30""",
        "bed_hanging": f"select mdtrt_id from '{d}/ward_round_d.parquet' where in_bed = 0",
        "impersonation": f"select mdtrt_id from '{d}/identity_check_d.parquet' where result = 0",
        "pharmacy_goods": f"select bkkp_sn from '{d}/fee_list_d.parquet' where medins_list_codg like 'G%'",
        "split_admission": f"""select b.mdtrt_id from '{d}/mdtrt_d.parquet' a join '{d}/mdtrt_d.parquet' b
            on a.psn_no = b.psn_no and a.fixmedins_code = b.fixmedins_code and a.med_type = '2101'
            and b.med_type = '2101' and b.begntime > a.endtime
            and b.begntime <= a.endtime + interval 28 day""",
        # The visits with a stay's line dated before the admission day or after the discharge day (计费日期与
        # 住院时间不符), a line without a national code (未对码) or a gray diagnosis (灰码).
        "data_quality": f"""select f.mdtrt_id from '{d}/fee_list_d.parquet' f join '{d}/mdtrt_d.parquet' m
            using (mdtrt_id) where (m.med_type like '2%' and (cast(f.fee_ocur_time as date) <
            cast(m.begntime as date) or cast(f.fee_ocur_time as date) > cast(m.endtime as date)))
            or f.med_list_codg = ''
            union select mdtrt_id from '{d}/setl_list_diag_d.parquet' where diag_code in {GRAY}""",
        # A diagnosis of the other sex (女: O, N70–N98, C51–C58, D25–D28; 男: N40–N51, C60–C63), perinatal
        # (P) after the first year, obstetric (O) outside 12–55.
        "diagnosis_mismatch": f"""select distinct m.mdtrt_id from '{d}/setl_list_diag_d.parquet' g
            join '{d}/mdtrt_d.parquet' m using (mdtrt_id), (select left(g.diag_code, 3) as k) t
            where (m.gend = '1' and (g.diag_code like 'O%' or t.k between 'N70' and 'N98'
                   or t.k between 'C51' and 'C58' or t.k between 'D25' and 'D28'))
               or (m.gend = '2' and (t.k between 'N40' and 'N51' or t.k between 'C60' and 'C63'))
               or (g.diag_code like 'P%' and m.age > 1)
               or (g.diag_code like 'O%' and (m.age < 12 or m.age > 55))""",
        # 限支付疗程: a course-limited code billed to a person on or after the course's last day from the
        # person's first use.
        "course_restricted": f"""with c(code, days) as (values {_course_codes()}),
            f as (select f.bkkp_sn, cast(f.fee_ocur_time as date) as day, c.days,
                    min(cast(f.fee_ocur_time as date)) over (partition by f.psn_no, f.med_list_codg) as first
                  from '{d}/fee_list_d.parquet' f join c on c.code = f.med_list_codg)
            select bkkp_sn from f where date_diff('day', first, day) >= days""",
    }
    return {r[0] for r in duckdb.sql(queries[family]).fetchall()}


def _course_codes() -> str:
    """(code, days) of the catalog's course-limited drugs and services (第六批 / 第八批-3), as SQL values."""
    catalog = service.make_world(check_knobs(persons=10, months=1, seed=7, admdvs="439901")).catalog
    assert catalog.course, "no course-limited item in the catalog"
    return ", ".join(f"('{catalog.items[i].code}', {days})" for i, days in catalog.course.items())


FAMILY_KEYS = {
    "over_price_cap": "bkkp_sn", "frequency_exceeded": "bkkp_sn", "dialysis_overcount": "bkkp_sn",
    "discharge_medication": "bkkp_sn", "excess_quantity": "bkkp_sn", "bed_hanging": "mdtrt_id",
    "impersonation": "mdtrt_id", "pharmacy_goods": "bkkp_sn", "split_admission": "mdtrt_id",
    "data_quality": "mdtrt_id", "diagnosis_mismatch": "mdtrt_id", "course_restricted": "bkkp_sn",
}  # fmt: skip


def _pairs_and_complications(dataset: Path) -> tuple[set[str], set[str]]:
    """Lines billed with their pair's main item on the same day; visits with a major complication."""
    world = service.make_world(check_knobs(persons=10, months=1, seed=7, admdvs="439901"))
    pairs = ", ".join(
        f"('{world.catalog.items[a].code}', '{world.catalog.items[b].code}')" for a, b in world.catalog.pairs
    )
    duplicates = duckdb.sql(f"""
        with p(main, sub) as (values {pairs})
        select s.bkkp_sn from '{dataset}/fee_list_d.parquet' s join p on s.med_list_codg = p.sub
        join '{dataset}/fee_list_d.parquet' m on m.mdtrt_id = s.mdtrt_id and m.med_list_codg = p.main
         and cast(m.fee_ocur_time as date) = cast(s.fee_ocur_time as date)
    """).fetchall()
    mcc = ", ".join(f"'{c}'" for c in world.codes.mcc)
    upcoded = duckdb.sql(f"""
        select mdtrt_id from '{dataset}/setl_list_diag_d.parquet'
        where maindiag_flag = '0' and diag_code in ({mcc})
    """).fetchall()
    return {r[0] for r in duplicates}, {r[0] for r in upcoded}


def test_duplicate_charge_and_upcoding_labels_match_the_data(dataset: Path) -> None:
    duplicates, upcoded = _pairs_and_complications(dataset)
    assert duplicates == _labelled(dataset, "duplicate_charge", "bkkp_sn") != set()
    assert upcoded == _labelled(dataset, "upcoding", "mdtrt_id") != set()


@pytest.mark.parametrize("family", sorted(FAMILY_KEYS))
def test_labels_point_exactly_at_the_rows_carrying_the_abuse(dataset: Path, family: str) -> None:
    labelled = _labelled(dataset, family, FAMILY_KEYS[family])
    assert labelled, f"no {family} injected at rate 0.2"
    assert _found(dataset, family) == labelled


def test_restricted_lines_are_refused_by_the_engine_and_labelled(dataset: Path) -> None:
    # Lines of the restriction families are fully self-paid by the real calculation (限定支付 refusal).
    families = ("sex_restricted", "age_restricted", "level_restricted", "insurance_type_restricted")
    rows = duckdb.sql(f"""
        select l.rule_family, f.fulamt_ownpay_amt = f.det_item_fee_sumamt
        from '{dataset}/labels.parquet' l join '{dataset}/fee_list_d.parquet' f using (bkkp_sn)
        where l.rule_family in {families}
    """).fetchall()
    assert {r[0] for r in rows} == set(families)
    assert all(r[1] for r in rows)


def test_label_scopes_fill_their_keys(dataset: Path) -> None:
    rows = duckdb.sql(f"""
        select scope, count(*) filter (where bkkp_sn is null), count(*) filter (where mdtrt_id is null),
               count(*) filter (where fixmedins_code is null), count(*) filter (where dr_code is not null)
        from '{dataset}/labels.parquet' group by scope
    """).fetchall()
    by_scope = {r[0]: r[1:] for r in rows}
    assert by_scope["line"] == (0, 0, 0, 0)
    assert by_scope["visit"][1:] == (0, 0, 0)
    assert by_scope["institution"][2] == 0
    counts = dict(duckdb.sql(f"select scope, count(*) from '{dataset}/labels.parquet' group by 1").fetchall())
    n_person, n_doctor = counts["person"], counts["doctor"]
    assert by_scope["person"] == (n_person, n_person, n_person, 0)  # psn_no only
    assert by_scope["doctor"] == (n_doctor, n_doctor, 0, n_doctor)  # institution and dr_code


def test_clean_region_has_no_abuse_of_a_family_whose_rate_is_zero(tmp_path: Path) -> None:
    _run(tmp_path, rates=dict.fromkeys(DEFAULT_RATES, 0.0), persons=1500)
    assert pq.read_table(tmp_path / "labels.parquet").num_rows == 0
    for family in FAMILY_KEYS:
        assert _found(tmp_path, family) == set(), family
    assert _pairs_and_complications(tmp_path) == (set(), set())
    refused = duckdb.sql(f"""
        select count(*) from '{tmp_path}/fee_list_d.parquet'
        where fulamt_ownpay_amt > 0 and chrgitm_lv <> '03'
    """).fetchone()
    assert refused == (0,)  # no restricted item breaks its restriction in clean data


def test_csv_format_writes_yuan_with_two_decimals(tmp_path: Path) -> None:
    knobs = check_knobs(persons=200, months=1, seed=1, admdvs="439901")
    service.generate(knobs=knobs, out=tmp_path, fmt="csv")
    header, first = (tmp_path / "setl_d.csv").read_text(encoding="utf-8").splitlines()[:2]
    assert header.startswith('"setl_id","mdtrt_id"')
    assert re.search(r",\d+\.\d{2},", first)


@pytest.mark.parametrize(
    ("knobs", "option"),
    [
        ({"persons": -1}, "--persons"),
        ({"months": 0}, "--months"),
        ({"admdvs": "43990"}, "--admdvs"),
        ({"rates": {"split_admission": 1.5}}, "--rate-split-admission"),
        ({"rates": {"nonsense": 0.1}}, "--rate-nonsense"),
        ({"outliers": -1}, "--outliers"),
    ],
)
def test_bad_knobs_fail_naming_the_option(knobs: dict[str, object], option: str) -> None:
    args: dict[str, object] = {"persons": 10, "months": 1, "seed": 1, "admdvs": "439901", **knobs}
    with pytest.raises(BusinessError) as caught:
        check_knobs(**args)  # type: ignore[arg-type]
    assert caught.value.field == option
    assert option in caught.value.message


def test_unwritable_out_dir_fails_naming_the_option(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BusinessError) as caught:
        check_out_dir(blocker / "sub")
    assert caught.value.field == "--out"
