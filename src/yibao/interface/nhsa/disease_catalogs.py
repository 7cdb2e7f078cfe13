"""Disease catalog downloads fetched through 9102, by version like the other catalog files:

- 1309 门诊慢特病种目录: the diseases the region's policies pay as outpatient chronic or special
  diseases (`disease_limits` of the `chronic` benefit), with their yearly limits in the remark;
- 1310 按病种付费病种目录: the diseases the region prices per case (payment method `single_disease`),
  named from ICD-10 医保版, with the fixed price and the institution the terms apply to;
- 1311 日间手术, 1313 肿瘤形态学, 1314 中医疾病, 1315 中医证候: lists yibao does not hold; their files
  carry the specification's layout and no rows (data_cnt 0).

A row's 版本号 is the moment its source last changed (the policy version's load, the payment terms'
creation), so a client that sends the last version of its file gets only what changed since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from yibao.core.clock import LOCAL_TZ, local_text
from yibao.interface.nhsa.catalog_layouts import COLUMNS
from yibao.interface.nhsa.catalogs import answer_file, changed_after
from yibao.interface.nhsa.envelope import Call, Result, stamp
from yibao.interface.repository import InterfaceRepository
from yibao.payment.models import PaymentMethod
from yibao.policy.models import PolicyVersion
from yibao.policy.service import policy_of
from yibao.reference.lookup import IcdCodes
from yibao.reference.lookup import diagnoses as icd10

NOT_HELD = ("1311", "1313", "1314", "1315")  # 日间手术、肿瘤形态学、中医疾病、中医证候: no such list
INSUTYPE_NAMES = {"310": "职工", "390": "居民"}


@dataclass
class Entry:
    """One row of a disease catalog file and the moment it last changed (its 版本号)."""

    created: datetime
    changed: datetime
    cells: dict[str, object] = field(default_factory=dict)


def _in_force(begin: date, end: date | None, today: date) -> bool:
    return begin <= today and (end is None or today <= end)


def _yuan(fen: int) -> str:
    return f"{fen / 100:.2f}".rstrip("0").rstrip(".") if fen % 100 else str(fen // 100)


def chronic_entries(versions: list[PolicyVersion], today: date) -> list[Entry]:
    """1309: one row per disease code of the policies' chronic benefit; in force when a policy version
    in force today names it; the remark gives the yearly limit per scheme from its newest version."""
    created: dict[str, datetime] = {}
    changed: dict[str, datetime] = {}
    valid: dict[str, bool] = {}
    limits: dict[str, dict[str, str]] = {}
    for version in versions:  # oldest load first: later versions overwrite the remark
        for rule in policy_of(version).benefits:
            if rule.category != "chronic":
                continue
            for code, limit in rule.disease_limits.items():
                created.setdefault(code, version.loaded_at)
                changed[code] = version.loaded_at
                valid[code] = valid.get(code, False) or _in_force(version.begin, version.end, today)
                scheme = INSUTYPE_NAMES.get(version.insutype, version.insutype)
                limits.setdefault(code, {})[scheme] = f"{scheme}年度限额{_yuan(limit)}元（{version.version}）"
    entries = []
    admdvs = versions[0].admdvs if versions else ""
    for code in sorted(created):
        version_no = stamp(changed[code], millis=True)
        entries.append(
            Entry(
                created[code],
                changed[code],
                {
                    "门慢门特病种目录代码": code,
                    "医保区划": admdvs,
                    "备注": "；".join(limits[code].values()),
                    "有效标志": "1" if valid[code] else "0",
                    "唯一记录号": f"{admdvs}-{code}",
                    "数据创建时间": local_text(created[code]),
                    "数据更新时间": local_text(changed[code]),
                    "版本号": version_no,
                    "版本名称": f"yibao {version_no}",
                },
            )
        )
    return entries


def single_disease_entries(methods: list[PaymentMethod], book: IcdCodes, today: date) -> list[Entry]:
    """1310: one row per disease priced by a single-disease payment term (按病种付费), with its price."""
    entries = []
    for method in methods:
        prices = json.loads(method.params).get("prices_fen", {})
        version_no = stamp(method.created_at, millis=True)
        scope = f"，限定点机构 {method.fixmedins_code}" if method.fixmedins_code else ""
        scheme = f"，险种 {method.insutype}" if method.insutype else ""
        for code in sorted(prices):
            row_id = f"{method.id}-{code}"
            entries.append(
                Entry(
                    method.created_at,
                    method.created_at,
                    {
                        "病种结算目录ID": row_id,
                        "按病种结算病种目录代码": code,
                        "按病种结算病种名称": book.name(code) or "",
                        "有效标志": "1" if _in_force(method.begin, method.end, today) else "0",
                        "唯一记录号": row_id,
                        "数据创建时间": local_text(method.created_at),
                        "数据更新时间": local_text(method.created_at),
                        "版本号": version_no,
                        "备注": f"定额 {_yuan(int(prices[code]))} 元{scope}{scheme}",
                        "版本名称": f"yibao {version_no}",
                    },
                )
            )
    return entries


def rows_after(
    infno: str, entries: list[Entry], after: datetime | None
) -> tuple[list[list[object]], str | None]:
    """The rows changed after `after` (all if None), oldest change first, in the file's columns."""
    newer = sorted((e for e in entries if after is None or e.changed > after), key=lambda e: e.changed)
    rows = [[entry.cells.get(column, "") for column in COLUMNS[infno]] for entry in newer]
    return rows, (stamp(newer[-1].changed, millis=True) if newer else None)


def download(call: Call) -> Result:
    """1309–1311, 1313–1315: the disease catalog rows newer than `ver`, as a file to fetch through 9102."""
    infno = call.envelope.infno
    ver = call.data.node("data").text("ver", max_len=64)
    after = changed_after(ver)
    today = call.now.astimezone(LOCAL_TZ).date()
    entries: list[Entry] = []
    with call.uow() as uow:
        repo = InterfaceRepository(uow.session)
        if infno == "1309":
            entries = chronic_entries(repo.policy_versions(call.admdvs), today)
        elif infno == "1310":
            entries = single_disease_entries(
                repo.single_disease_methods(call.admdvs), icd10(uow.session), today
            )
    rows, last = rows_after(infno, entries, after)
    return answer_file(call, infno, rows, last or ver)
