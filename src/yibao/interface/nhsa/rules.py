"""3101 明细审核事前分析服务 / 3102 明细审核事中分析服务: the monitoring library's in-visit rules on the
patient, visits and orders a hospital sends; the answer lists each violation (result) with its lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from yibao.core.clock import local_day
from yibao.domain import monitoring as dm
from yibao.domain.errors import invalid
from yibao.interface.nhsa.coerce import Fields
from yibao.interface.nhsa.envelope import Call, Result, yuan
from yibao.monitoring import service as monitoring

SCENARIO = {"3101": "pre", "3102": "in"}
_LINE_ITEM = "1"  # vola_item_type 违规项
_BY_VISIT, _BY_ITEM = "1", "2"  # vola_bhvr_type 就诊类 / 项目类


def _rule_ids(data: Fields) -> set[str] | None:
    raw = data.raw("rule_ids")
    if raw is None or raw in ("", []):
        return None
    values = raw if isinstance(raw, list) else str(raw).split(",")
    ids = {str(v).strip() for v in values if str(v).strip()}
    unknown = sorted(ids - set(dm.library_by_id()))
    if unknown:
        raise invalid(
            "RULE_NOT_FOUND", "input.data.rule_ids", f"字段 input.data.rule_ids：规则 {unknown[0]} 不存在"
        )
    return ids


def _order(row: Fields, n: int) -> dm.LineInput:
    days = row.number("o_prdDays", required=False)
    amount = row.money("sumamt")
    quantity = row.number("cnt")
    assert amount is not None and quantity is not None
    moment = row.moment("drord_begn_date")
    assert moment is not None
    return dm.LineInput(
        sn=row.opt_text("rx_id", max_len=40) or str(n),
        code=row.opt_text("hilist_code", max_len=50) or "",
        time=moment,
        quantity=quantity,
        price_fen=row.price("pric"),
        amount_fen=amount,
        hosp_code=row.opt_text("hosplist_code", max_len=50),
        name=row.opt_text("hilist_name", max_len=200) or row.opt_text("hosplist_name", max_len=200) or "",
        list_type=row.opt_text("hilist_type", max_len=6),
        days=int(days) if days is not None and days > 0 else 0,
        dept=row.opt_text("drord_dept_codg", max_len=30),
        dr_code=row.opt_text("drord_dr_codg", max_len=30),
    )


def _encounter(enc: Fields, patn_id: str, gend: str, birth: Any) -> dm.VisitInput:
    begin = enc.moment("adm_date")
    assert begin is not None
    diagnoses = [d for d in enc.rows("fsi_diagnose_dtos", required=False)]
    codes = sorted(
        (d.opt_text("maindise_flag", max_len=3) != "1", d.opt_text("dise_codg", max_len=30) or "")
        for d in diagnoses
    )
    main = enc.opt_text("dscg_main_dise_codg", max_len=30)
    ordered = tuple(dict.fromkeys([c for c in [main] if c] + [c for _, c in codes if c]))
    orders = enc.rows("fsi_order_dtos")
    return dm.VisitInput(
        mdtrt_id=enc.text("mdtrt_id", max_len=40),
        psn_no=patn_id,
        gend=gend,
        age=dm.age_on(birth, local_day(begin)),
        insutype=enc.opt_text("insutype", max_len=6) or "",
        fixmedins_code=enc.opt_text("medins_id", max_len=30) or "",
        hosp_tier=dm.tier_of(enc.opt_text("medins_lv", max_len=3)),
        med_type=enc.opt_text("med_type", max_len=6) or "",
        begntime=begin,
        endtime=enc.moment("dscg_date", required=False),
        diagnoses=ordered,
        lines=tuple(_order(row, n) for n, row in enumerate(orders, start=1)),
        dr_code=enc.opt_text("dr_codg", max_len=30),
    )


def _result(n: int, f: dm.VisitFinding, patn_id: str, mdtrt_id: str, msgid: str) -> dict[str, Any]:
    jr_id = f"{msgid}-{n}"
    return {
        "jr_id": jr_id,
        "rule_id": f.rule_id,
        "rule_name": f.rule_name,
        "vola_cont": f.evidence,
        "patn_id": patn_id,
        "mdtrt_id": mdtrt_id,
        "judge_result_detail_dtos": [
            {
                "jrd_id": f"{jr_id}-1",
                "patn_id": patn_id,
                "mdtrt_id": mdtrt_id,
                "rx_id": f.sn,
                "vola_item_type": _LINE_ITEM,
                "vola_amt": yuan(f.vola_fen),
            }
        ]
        if f.sn is not None
        else [],
        "vola_amt": yuan(f.vola_fen),
        "vola_amt_stas": "1",
        "sev_deg": f.national_sev_deg,
        "vola_evid": f"{f.family}；{'阻断' if f.blocking else '提醒'}",
        "vola_bhvr_type": _BY_ITEM if f.sn is not None else _BY_VISIT,
        "task_id": msgid,
    }


def analyse(call: Call) -> Result:
    """3101 (事前, before the orders are carried out) / 3102 (事中, while they are): run the rules of that
    scenario on the current visit (curr_mdtrt_id, or every visit sent) and answer the violations."""
    data = call.data.node("data")
    scenario = SCENARIO[call.envelope.infno]
    wanted = _rule_ids(data)
    patient = data.node("patient_dtos")
    patn_id = patient.text("patn_id", max_len=30)
    gend = patient.text("gend", max_len=3)
    birth = patient.day("brdy")
    region = patient.opt_text("poolarea", max_len=6) or call.admdvs
    current = patient.opt_text("curr_mdtrt_id", max_len=40)
    encounters = patient.rows("fsi_encounter_dtos")
    visits = [_encounter(e, patn_id, gend, birth) for e in encounters]
    chosen = [v for v in visits if current is None or v.mdtrt_id == current] or visits
    results: list[dict[str, Any]] = []
    with call.uow() as uow:
        for visit in chosen:
            check = monitoring.check_visit(uow=uow, visit=visit, admdvs=region, scenario=scenario)
            for f in check.findings:
                if wanted is None or f.rule_id in wanted:
                    results.append(_result(len(results) + 1, f, patn_id, visit.mdtrt_id, call.envelope.msgid))
    total = sum((Decimal(r["vola_amt"]) for r in results), Decimal("0.00"))
    return Result({"result": results, "vola_amt_sum": total}, psn_no=patn_id, mdtrt_id=current)
