"""3201 totals reconciliation (对总账) and 3202 detail reconciliation (对明细账) of one institution.

The institution sends its totals for a period (days in Beijing time, both inclusive), a clearing
type (clr_type) and optionally an insurance type; the platform sums its own settlements
(fixmedins_refd_setl_flag 0) or reversals (1) of that institution in the period, compares, stores
the result and answers stmt_rslt 0 (平) or 1 (不平) with the differences.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from yibao.core.clock import LOCAL_TZ, local_text
from yibao.domain.errors import invalid
from yibao.domain.money import fen_to_yuan
from yibao.interface.models import Reconciliation
from yibao.interface.nhsa import files
from yibao.interface.nhsa.coerce import Fields
from yibao.interface.nhsa.common import clr_type_of
from yibao.interface.nhsa.envelope import Call, Result, yuan
from yibao.interface.repository import InterfaceRepository
from yibao.reference.lookup import dictionaries
from yibao.settlement.models import Settlement

MAX_DAYS = 31


@dataclass(frozen=True)
class Period:
    begin: date
    end: date
    clr_type: str
    insutype: str | None
    refund: bool


def _period(call: Call, data: Fields) -> Period:
    with call.uow() as uow:
        dicts = dictionaries(uow.session)
        clr_type = data.code("clr_type", dicts)
        insutype = data.code("insutype", dicts, required=False)
    begin, end = data.day("stmt_begndate"), data.day("stmt_enddate")
    assert begin is not None and end is not None and clr_type is not None
    if end < begin or (end - begin).days >= MAX_DAYS:
        raise invalid(
            "STMT_PERIOD",
            "input.data.stmt_enddate",
            f"字段 input.data.stmt_enddate 须不早于开始日期且对账期间不超过{MAX_DAYS}天",
        )
    flag = data.text("fixmedins_refd_setl_flag", max_len=1)
    if flag not in ("0", "1"):
        raise invalid(
            "DICT_CODE",
            "input.data.fixmedins_refd_setl_flag",
            "字段 input.data.fixmedins_refd_setl_flag 应为 0 或 1",
        )
    data.text("setl_optins", max_len=6)
    return Period(begin, end, clr_type, insutype, flag == "1")


def _ours(call: Call, period: Period) -> list[Settlement]:
    """This institution's settlements (or reversals) of the period, clearing type and insurance type."""
    start = datetime.combine(period.begin, time.min, LOCAL_TZ)
    stop = datetime.combine(period.end + timedelta(days=1), time.min, LOCAL_TZ)
    kind = "reversal" if period.refund else "settlement"
    with call.uow() as uow:
        repo = InterfaceRepository(uow.session)
        rows = [s for s in repo.settlements_between(call.fixmedins_code, start, stop) if s.kind == kind]
        visits = repo.visits_by_ids(s.visit_id for s in rows)
    return [
        s
        for s in rows
        if clr_type_of(visits[s.visit_id].med_type) == period.clr_type
        and (period.insutype is None or s.insutype == period.insutype)
    ]


def _store(
    call: Call,
    period: Period,
    theirs: tuple[int, int, int, int],
    ours: tuple[int, int, int, int],
    differences: list[str],
) -> str:
    result = "1" if differences else "0"
    row = Reconciliation(
        msgid=call.envelope.msgid,
        infno=call.envelope.infno,
        fixmedins_code=call.fixmedins_code,
        admdvs=call.admdvs,
        insutype=period.insutype,
        clr_type=period.clr_type,
        stmt_begndate=period.begin,
        stmt_enddate=period.end,
        their_medfee_sumamt=theirs[0],
        their_fund_pay_sumamt=theirs[1],
        their_acct_pay=theirs[2],
        their_count=theirs[3],
        our_medfee_sumamt=ours[0],
        our_fund_pay_sumamt=ours[1],
        our_acct_pay=ours[2],
        our_count=ours[3],
        stmt_rslt=result,
        detail=json.dumps(differences, ensure_ascii=False),
        at=call.now,
    )
    with call.uow() as uow:
        InterfaceRepository(uow.session).add(row)
        uow.flush()
        uow.audit(
            action="interface.reconcile",
            entity="reconciliation",
            entity_id=row.id,
            admdvs=call.admdvs,
            after={"infno": row.infno, "stmt_rslt": result, "differences": len(differences)},
        )
        uow.commit()
    return result


def _compare(names: tuple[str, ...], theirs: tuple[int, ...], ours: tuple[int, ...]) -> list[str]:
    out = []
    for name, a, b in zip(names, theirs, ours, strict=True):
        if a != b:
            text_a, text_b = (str(a), str(b)) if name.endswith("cnt") else (fen_to_yuan(a), fen_to_yuan(b))
            out.append(f"{name}：机构 {text_a}，平台 {text_b}")
    return out


def totals(call: Call) -> Result:
    """3201: compare the institution's totals with the platform's; stmt_rslt 0 平 / 1 不平."""
    data = call.data.node("data")
    period = _period(call, data)
    theirs = (
        data.money("medfee_sumamt") or 0,
        data.money("fund_pay_sumamt") or 0,
        data.money("acct_pay") or 0,
        int(data.number("fixmedins_setl_cnt") or 0),
    )
    rows = _ours(call, period)
    ours = (
        sum(s.medfee_sumamt for s in rows),
        sum(s.fund_pay_sumamt for s in rows),
        sum(s.acct_pay for s in rows),
        len(rows),
    )
    names = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "fixmedins_setl_cnt")
    differences = _compare(names, theirs, ours)
    result = _store(call, period, theirs, ours, differences)
    info: dict[str, Any] = {
        "setl_optins": call.admdvs,
        "stmt_rslt": result,
        "stmt_rslt_dscr": "；".join(differences) or "平",
    }
    return Result({"stmtinfo": info})


def details(call: Call) -> Result:
    """3202: compare the institution's settlement rows with the platform's, row by row.

    The rows come from the file uploaded by 9101 (`file_qury_no`, table 150 columns), or inline in
    `input.data.detail`; the answer's fileinfo names the result file (table 151) to fetch by 9102, and
    `detail` carries the compared rows too.
    """
    data = call.data.node("data")
    period = _period(call, data)
    file_qury_no = data.text("file_qury_no", max_len=64)
    inline = data.rows("detail", required=False)
    rows = inline or _file_rows(call, file_qury_no)
    sent: dict[str, tuple[int, int, int, str, str]] = {}
    for row in rows:
        setl_id = row.text("setl_id", max_len=40)
        sent[setl_id] = (
            row.money("medfee_sumamt") or 0,
            row.money("fund_pay_sumamt") or 0,
            row.money("acct_pay") or 0,
            row.text("psn_no", max_len=30),
            row.text("mdtrt_id", max_len=40),
        )
    ours = {s.setl_id: s for s in _ours(call, period)}
    answer_rows: list[dict[str, Any]] = []
    differences: list[str] = []
    for setl_id in sorted(set(sent) | set(ours)):
        mine, theirs = ours.get(setl_id), sent.get(setl_id)
        if mine is None:
            note = "平台无此结算"
        elif theirs is None:
            note = "机构未报送此结算"
        else:
            found = _compare(
                ("medfee_sumamt", "fund_pay_sumamt", "acct_pay"),
                theirs[:3],
                (mine.medfee_sumamt, mine.fund_pay_sumamt, mine.acct_pay),
            )
            note = "；".join(found)
        if note:
            differences.append(f"{setl_id}：{note}")
        answer_rows.append(
            {
                "setl_id": setl_id,
                "mdtrt_id": theirs[4] if theirs else "",
                "psn_no": mine.psn_no if mine else (theirs[3] if theirs else ""),
                "msgid": mine.request_id if mine else "",
                "stmt_rslt": "1" if note else "0",
                "refd_setl_flag": "1" if period.refund else "0",
                "memo": note or None,
            }
        )
    totals_theirs = (
        sum(v[0] for v in sent.values()),
        sum(v[1] for v in sent.values()),
        sum(v[2] for v in sent.values()),
        len(sent),
    )
    totals_ours = (
        sum(s.medfee_sumamt for s in ours.values()),
        sum(s.fund_pay_sumamt for s in ours.values()),
        sum(s.acct_pay for s in ours.values()),
        len(ours),
    )
    result = _store(call, period, totals_theirs, totals_ours, differences)
    name = f"stmt_{call.fixmedins_code}_{period.begin:%Y%m%d}_{period.end:%Y%m%d}"
    table = [[r[c] for c in RESULT_COLUMNS[:7]] + _amounts(ours.get(str(r["setl_id"]))) for r in answer_rows]
    stored = files.store(
        call,
        infno="3202",
        filename=f"{name}.zip",
        content=files.zip_rows(f"{name}.txt", table),
        data_cnt=len(table),
    )
    fileinfo = {
        "file_qury_no": stored.file_qury_no,
        "filename": stored.filename,
        "dld_endtime": local_text(call.now + timedelta(days=files.KEEP_DAYS)),
    }
    return Result({"fileinfo": fileinfo, "stmt_rslt": result, "detail": answer_rows})


RESULT_COLUMNS = (  # 表 151 输出文件参数说明
    "psn_no",
    "mdtrt_id",
    "setl_id",
    "msgid",
    "stmt_rslt",
    "refd_setl_flag",
    "memo",
)
UPLOAD_COLUMNS = (  # 表 150 输入文件参数说明
    "setl_id",
    "mdtrt_id",
    "psn_no",
    "medfee_sumamt",
    "fund_pay_sumamt",
    "acct_pay",
    "refd_setl_flag",
)


def _amounts(row: Settlement | None) -> list[object]:
    """medfee_sumamt, fund_pay_sumamt, acct_pay of the platform's settlement, in yuan."""
    if row is None:
        return ["", "", ""]
    return [yuan(row.medfee_sumamt), yuan(row.fund_pay_sumamt), yuan(row.acct_pay)]


def _file_rows(call: Call, file_qury_no: str) -> list[Fields]:
    """The rows of the detail file uploaded by 9101 (table 150 order), each as a node named by line."""
    rows = files.uploaded_rows(call, file_qury_no, path="input.data.file_qury_no")
    nodes = []
    for number, cells in enumerate(rows, start=1):
        if len(cells) < len(UPLOAD_COLUMNS):
            raise invalid(
                "FILE_FORMAT",
                "input.data.file_qury_no",
                f"明细文件第{number}行应有{len(UPLOAD_COLUMNS)}列（表150：{'、'.join(UPLOAD_COLUMNS)}）",
            )
        nodes.append(Fields(dict(zip(UPLOAD_COLUMNS, cells, strict=False)), f"file[{number}]"))
    return nodes
