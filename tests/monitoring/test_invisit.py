"""The in-visit evaluation (pure Python) gives the same findings as the batch SQL on the same visit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.monitoring.builder import DataBuilder
from tests.monitoring.test_rules import CASES, RULES, knowledge, run
from yibao.domain.monitoring import (
    IN_VISIT_TYPES,
    LIBRARY,
    LineInput,
    VisitInput,
    age_on,
    check_visit,
    index_knowledge,
    national_sev_deg,
    tier_of,
)

_T = "%Y-%m-%d %H:%M:%S"


def visits_of(b: DataBuilder) -> list[VisitInput]:
    """Every visit of a hand-made data set as the in-visit check receives it."""
    result = []
    for v in b.rows["mdtrt_d"]:
        lines = tuple(
            LineInput(
                sn=f["bkkp_sn"],
                code=f["med_list_codg"],
                time=datetime.strptime(f["fee_ocur_time"], _T),
                quantity=Decimal(f["cnt"]),
                price_fen=Decimal(f["pric"]) * 100,
                amount_fen=int(Decimal(f["det_item_fee_sumamt"]) * 100),
                hosp_code=f["medins_list_codg"],
                name=f["hilist_name"],
                list_type=f["list_type"],
                cap_fen=None if f["pric_uplmt_amt"] is None else Decimal(f["pric_uplmt_amt"]) * 100,
                days=int(f["prd_days"]),
                discharge_drug=f["dscg_tkdrug_flag"] == "1",
            )
            for f in b.rows["fee_list_d"]
            if f["mdtrt_id"] == v["mdtrt_id"]
        )
        diagnoses = tuple(
            d["diag_code"] for d in b.rows["setl_list_diag_d"] if d["mdtrt_id"] == v["mdtrt_id"]
        )
        medfee = next(s["medfee_sumamt"] for s in b.rows["setl_d"] if s["mdtrt_id"] == v["mdtrt_id"])
        result.append(
            VisitInput(
                mdtrt_id=v["mdtrt_id"], psn_no=v["psn_no"], gend=v["gend"], age=int(v["age"]),
                insutype=v["insutype"], fixmedins_code=v["fixmedins_code"], hosp_tier=tier_of(v["hosp_lv"]),
                med_type=v["med_type"], begntime=datetime.strptime(v["begntime"], _T),
                endtime=datetime.strptime(v["endtime"], _T) if v["endtime"] else None, diagnoses=diagnoses,
                lines=lines, medfee_fen=int(Decimal(medfee) * 100),
            )
        )  # fmt: skip
    return result


IN_VISIT = sorted(r.rule_id for r in LIBRARY if r.rule_type in IN_VISIT_TYPES)
HISTORY = {"GZ10000102010000", "YB10000102017000"}  # the course/cycle cases span two visits of a person


@pytest.mark.parametrize("fire", [True, False])
@pytest.mark.parametrize("rule_id", IN_VISIT)
def test_in_visit_evaluation_equals_the_batch_sql(rule_id: str, fire: bool, tmp_path: Path) -> None:
    b = DataBuilder()
    CASES[rule_id](b, fire)
    rule = RULES[rule_id]
    batch = {(r["mdtrt_id"], r["bkkp_sn"], r["vola_fen"], r["evidence"]) for r in run(b, rule_id, tmp_path)}
    kb = index_knowledge(knowledge())
    live = {
        (v.mdtrt_id, f.sn, f.vola_fen, f.evidence)
        for v in visits_of(b)
        for f in check_visit(v, [rule], kb, "in")
    }
    if rule_id in HISTORY:
        assert live <= batch  # a visit alone cannot see the person's earlier visits
    else:
        assert live == batch


def test_in_visit_skips_rules_that_need_history_or_events() -> None:
    batch_only = {r.rule_type for r in LIBRARY if "in" not in r.scenarios}
    assert batch_only.isdisjoint({"item_sex", "duplicate_pair", "item_frequency"})
    assert not ({"split_admission", "bed_hanging", "impersonation", "provider_outlier"} & set(IN_VISIT_TYPES))


def test_national_severity_codes_count_the_other_way() -> None:
    # WAREHOUSE sev_deg 3 violation is the national dictionary's 1 明确违规; 1 notice is 3 轻度可疑
    assert [national_sev_deg(s) for s in (3, 2, 1)] == ["1", "2", "3"]


def test_age_in_whole_years_and_level_tiers() -> None:
    from datetime import date

    assert age_on(date(2006, 3, 2), date(2024, 3, 1)) == 17
    assert age_on(date(2006, 3, 1), date(2024, 3, 1)) == 18
    assert [tier_of(c) for c in ("2", "5", "8", "11", None)] == [3, 2, 1, 0, 0]
