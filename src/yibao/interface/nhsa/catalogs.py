"""Catalog downloads (目录下载 1301–1308, 1320) answered with a file fetched through 9102, and the paged
catalog queries 1312 (医保目录), 1317 (医药机构目录匹配), 1318 (限价), 1319 (先自付比例).

Versions: a catalog version's `版本号` is the moment it last changed (yyyyMMddHHmmssSSS, Beijing time);
a download answers the versions changed after the client's `ver` ("0": all), oldest change first, at
most FILE_ROWS rows but never cutting a version in two, so the client asks again with the last
version of the file until data_cnt is 0. ICD lists (1307/1308) carry the version label of the data
set in force: a client already holding it gets an empty file, any other ver the whole list.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from yibao.catalog.models import CatalogItem, CodeMapping
from yibao.core.clock import LOCAL_TZ, local_text
from yibao.domain.errors import invalid
from yibao.interface.nhsa import files
from yibao.interface.nhsa.catalog_layouts import COLUMNS
from yibao.interface.nhsa.coerce import Fields
from yibao.interface.nhsa.envelope import Call, Result, stamp
from yibao.interface.nhsa.fees import KIND_CHRGITM
from yibao.interface.repository import InterfaceRepository
from yibao.reference.lookup import dictionaries

FILE_ROWS = 5000
LIST_TYPES = {  # 目录类别 list_type of each catalog download
    "1301": ("101",),  # 西药中成药
    "1302": ("102",),  # 中药饮片
    "1303": ("103",),  # 医疗机构制剂 (自制剂)
    "1305": ("201",),  # 医疗服务项目
    "1306": ("301",),  # 医用耗材
    "1306A": ("301",),
    "1320": ("106",),  # 中药配方颗粒
}
ICD_SYSTEMS = {"1307": "icd10", "1308": "icd9"}
END_FIELD = {"1306A": "dld_endtime", "1320": "dld_endtime"}  # the others: dld_end_time
_STAMP = re.compile(r"^\d{14}(\d{3})?$")


def version_of(item: CatalogItem) -> str:
    """版本号 of a catalog version: when it last changed, yyyyMMddHHmmssSSS in Beijing time."""
    return stamp(item.updated_at, millis=True)


def changed_after(ver: str) -> datetime | None:
    """The moment after which versions are new to the client; None for "0" (everything)."""
    if ver == "0":
        return None
    if not _STAMP.match(ver):
        raise invalid(
            "FIELD_FORMAT",
            "input.data.ver",
            f"字段 input.data.ver 应为本地最大版本号（yyyyMMddHHmmssSSS，首次下载传 0）：{ver!r}",
        )
    moment = datetime.strptime(ver[:14], "%Y%m%d%H%M%S").replace(tzinfo=LOCAL_TZ)
    return moment.replace(microsecond=int(ver[14:] or 0) * 1000 + 999)


def _valid(begin: date, end: date | None, today: date) -> str:
    return "1" if begin <= today and (end is None or today <= end) else "0"


def _item_cells(today: date, dicts: Any) -> dict[str, Callable[[CatalogItem], object]]:
    """What we hold of each column name; every other column is written empty."""
    restricted: Callable[[CatalogItem], object] = lambda i: "1" if i.restrictions.any else "0"  # noqa: E731
    cells: dict[str, Callable[[CatalogItem], object]] = {
        "医疗目录编码": lambda i: i.code,
        "医保通用名代码": lambda i: i.code,
        "药品通用名": lambda i: i.generic_name,
        "医保通用名": lambda i: i.generic_name,
        "药品剂型": lambda i: i.dosform,
        "剂型": lambda i: i.dosform,
        "药品剂型名称": lambda i: dicts.label("drug_dosform", i.dosform or "") or "",
        "剂型名称": lambda i: dicts.label("drug_dosform", i.dosform or "") or "",
        "药品规格": lambda i: i.spec,
        "规格": lambda i: i.spec,
        "生产企业名称": lambda i: i.manufacturer,
        "计价单位": lambda i: i.unit,
        "计价单位名称": lambda i: i.unit,
        "最小计价单位": lambda i: i.unit,
        "服务项目类别": lambda i: i.med_chrgitm_type,
        "开始日期": lambda i: i.begin.isoformat(),
        "生效时间": lambda i: i.begin.isoformat(),
        "结束日期": lambda i: i.end.isoformat() if i.end else "",
        "失效时间": lambda i: i.end.isoformat() if i.end else "",
        "有效标志": lambda i: _valid(i.begin, i.end, today),
        "唯一记录号": lambda i: f"{i.code}-{i.begin:%Y%m%d}",
        "传输数据ID": lambda i: f"{i.code}-{i.begin:%Y%m%d}",
        "中药配方颗粒Id": lambda i: f"{i.code}-{i.begin:%Y%m%d}",
        "中药配方颗粒代码": lambda i: i.code,
        "数据创建时间": lambda i: local_text(i.created_at),
        "数据更新时间": lambda i: local_text(i.updated_at),
        "版本号": version_of,
        "版本名称": lambda i: f"yibao {version_of(i)}",
        "限制使用标志": restricted,
        "医保限用范围": lambda i: i.restr_indication,
        "限制使用范围": lambda i: i.restr_indication,
        "高值耗材标志": lambda i: "1" if i.high_value else "0",
        "医保区划": lambda i: i.admdvs,
    }
    for title in ("药品商品名", "注册名称", "单味药名称", "耗材名称", "医疗服务项目名称", "中药配方颗粒名称"):
        cells[title] = lambda i: i.name
    return cells


def _catalog_rows(call: Call, infno: str, after: datetime | None) -> tuple[list[list[object]], str | None]:
    with call.uow() as uow:
        items = InterfaceRepository(uow.session).catalog_changed_after(LIST_TYPES[infno], after)
        dicts = dictionaries(uow.session)
    if len(items) > FILE_ROWS:
        last = version_of(items[FILE_ROWS - 1])
        cut = FILE_ROWS
        while cut < len(items) and version_of(items[cut]) == last:
            cut += 1
        items = items[:cut]
    cells = _item_cells(call.now.astimezone(LOCAL_TZ).date(), dicts)
    rows = [[cells[c](item) if c in cells else "" for c in COLUMNS[infno]] for item in items]
    return rows, (version_of(items[-1]) if items else None)


def _icd_rows(call: Call, infno: str, ver: str) -> tuple[list[list[object]], str | None]:
    system = ICD_SYSTEMS[infno]
    with call.uow() as uow:
        repo = InterfaceRepository(uow.session)
        dataset = repo.icd_dataset(system)
        if dataset is None or dataset.version == ver:
            return [], None
        codes = repo.icd_rows(dataset.id)
        version, loaded = dataset.version, dataset.begin.isoformat()
    diagnosis = system == "icd10"
    parts = (3, 5) if diagnosis else (2, 4)
    rows: list[list[object]] = []
    for code in codes:
        found = {
            "西医疾病诊断ID": f"{system}-{code.code}",
            "手术标准目录ID": f"{system}-{code.code}",
            "类目代码": code.code[: parts[0]],
            "亚目代码": code.code[: parts[1]],
            "细目代码": "" if diagnosis else code.code[:5],
            "诊断代码" if diagnosis else "手术操作代码": code.code,
            "诊断名称" if diagnosis else "手术操作名称": code.name,
            "使用标记": "0" if code.gray else "1",  # 灰码 not for settlement
            "有效标志": "1",
            "唯一记录号": f"{system}-{code.code}",
            "数据创建时间": loaded,
            "数据更新时间": loaded,
            "版本号": version,
            "版本名称": version,
        }
        rows.append([found.get(column, "") for column in COLUMNS[infno]])
    return rows, version


def download(call: Call) -> Result:
    """1301–1308, 1320: the catalog versions newer than `ver`, as a file to fetch through 9102."""
    infno = call.envelope.infno
    ver = call.data.node("data").text("ver", max_len=64)
    if infno in ICD_SYSTEMS:
        rows, last = _icd_rows(call, infno, ver)
    else:
        rows, last = _catalog_rows(call, infno, changed_after(ver))
    return answer_file(call, infno, rows, last or ver)


def answer_file(call: Call, infno: str, rows: list[list[object]], version: str) -> Result:
    """A catalog file named after its last version, kept for 9102, and the download's answer."""
    name = f"plc_{infno}_{version}"
    content = files.zip_rows(f"{name}.txt", rows)
    row = files.store(
        call,
        infno=infno,
        filename=f"{name}.zip",
        content=content,
        data_cnt=len(rows),
        owner=files.POLICY_CENTRE,
    )
    return Result(
        {
            "file_qury_no": row.file_qury_no,
            "filename": row.filename,
            END_FIELD.get(infno, "dld_end_time"): files.expires(row.dld_endtime),
            "data_cnt": Decimal(len(rows)),
        }
    )


# ---------------------------------------------------------------------------------------------
# Paged queries


def _paging(data: Fields) -> tuple[int, int, datetime | None]:
    page, size = paging_numbers(data)
    return page, size, data.moment("updt_time")


def paging_numbers(data: Fields) -> tuple[int, int]:
    """page_num (1..100000) and page_size (1..500) of a paged query."""
    page = data.number("page_num")
    size = data.number("page_size")
    assert page is not None and size is not None
    if page != int(page) or not 1 <= page <= 100_000:
        raise invalid("FIELD_NUMBER", "input.data.page_num", "字段 input.data.page_num 应为1到100000的整数")
    if size != int(size) or not 1 <= size <= 500:
        raise invalid("FIELD_NUMBER", "input.data.page_size", "字段 input.data.page_size 应为1到500的整数")
    return int(page), int(size)


def page_output(rows: list[dict[str, Any]], page: int, size: int, total: int) -> dict[str, Any]:
    pages = math.ceil(total / size) if total else 0
    return {
        "data": rows,
        "pageNum": Decimal(page),
        "pageSize": Decimal(size),
        "recordCounts": Decimal(total),
        "pages": Decimal(pages),
        "firstPage": page == 1,
        "lastPage": page >= pages,
    }


def _audit_fields(item: CatalogItem, admdvs: str) -> dict[str, Any]:
    created = local_text(item.created_at)[:10]
    return {
        "insu_admdvs": item.admdvs or admdvs,
        "begndate": item.begin.isoformat(),
        "enddate": item.end.isoformat() if item.end else None,
        "vali_flag": "1" if item.end is None or item.end >= item.begin else "0",
        "rid": f"{item.code}-{item.begin:%Y%m%d}",
        "updt_time": local_text(item.updated_at)[:10],
        "crter_id": None,
        "crter_name": None,
        "crte_time": created,
        "crte_optins_no": None,
        "opter_id": None,
        "opter_name": None,
        "opt_time": None,
        "optins_no": None,
        "poolarea_no": item.admdvs,
    }


def _items(
    call: Call, data: Fields, *, code_field: str = "hilist_code"
) -> tuple[list[CatalogItem], int, int, int]:
    page, size, after = _paging(data)
    with call.uow() as uow:
        dicts = dictionaries(uow.session)
        list_type = data.code("list_type", dicts, required=False) if "list_type" in data.data else None
        chrgitm_lv = data.code("chrgitm_lv", dicts, required=False) if "chrgitm_lv" in data.data else None
        found = InterfaceRepository(uow.session).catalog_page(
            code=data.opt_text(code_field, max_len=50),
            name=data.opt_text("hilist_name", max_len=200),
            list_type=list_type,
            chrgitm_lv=chrgitm_lv,
            updated_after=after,
            page=page,
            size=size,
        )
    return found.items, page, size, found.total


def catalog_info(call: Call) -> Result:
    """1312: the national catalog versions (医保目录信息) changed since updt_time, paged."""
    items, page, size, total = _items(call, call.data.node("data"))
    rows = []
    for item in items:
        rows.append(
            {
                "hilist_code": item.code,
                "hilist_name": item.name,
                "med_chrgitm_type": item.med_chrgitm_type or KIND_CHRGITM.get(item.kind, "14"),
                "chrgitm_lv": item.chrgitm_lv,
                "lmt_used_flag": "1" if item.restrictions.any else "0",
                "list_type": item.list_type,
                "med_use_flag": "1",
                "matn_used_flag": "0" if item.restr_benefit_only == "work_injury" else "1",
                "hilist_use_type": None,  # 医保目录使用类别: not held by the catalog
                "lmt_cpnd_type": "9",  # 其他: single/compound use is not held by the catalog
                "wubi": None,
                "pinyin": None,
                "memo": item.restr_indication,
            }
            | _audit_fields(item, call.admdvs)
        )
    return Result(page_output(rows, page, size, total))


def price_caps(call: Call) -> Result:
    """1318: price caps (医保目录限价), one row per hospital tier that has a cap of its own."""
    items, page, size, total = _items(call, call.data.node("data"))
    rows = []
    for item in items:
        tiers = [("1", item.price_cap_lv1), ("2", item.price_cap_lv2), ("3", item.price_cap_lv3)]
        caps = [(t, c) for t, c in tiers if c is not None] or (
            [(t, item.price_cap) for t, _c in tiers] if item.price_cap is not None else []
        )
        for tier, cap in caps:
            rows.append(
                {
                    "hilist_code": item.code,
                    "hilist_lmtpric_type": tier,
                    "overlmt_dspo_way": "1",  # 超限价部分由个人自付 (overlmt_selfpay)
                    "hilist_pric_uplmt_amt": (Decimal(cap or 0) / 100).quantize(Decimal("0.000001")),
                    "tabname": "catalog_item",
                }
                | _audit_fields(item, call.admdvs)
            )
    return Result(page_output(rows, page, size, total))


def selfpay_ratios(call: Call) -> Result:
    """1319: first self-pay ratios (医保目录先自付比例) of 乙类 items, for employees and residents."""
    data = call.data.node("data")
    with call.uow() as uow:
        wanted = data.code("selfpay_prop_psn_type", dictionaries(uow.session), required=False)
    items, page, size, total = _items(call, data)
    rows = []
    for item in items:
        for psn_type in ("310", "390"):
            if wanted and psn_type != wanted:
                continue
            rows.append(
                {
                    "hilist_code": item.code,
                    "selfpay_prop_psn_type": psn_type,
                    "selfpay_prop_type": "10",  # 目录先自付比例
                    "selfpay_prop": (Decimal(item.selfpay_bp) / 10000).quantize(Decimal("0.0001")),
                    "tabname": "catalog_item",
                }
                | _audit_fields(item, call.admdvs)
            )
    return Result(page_output(rows, page, size, total))


def institution_mappings(call: Call) -> Result:
    """1317: this institution's approved mappings (医药机构目录匹配), paged; only its own code is allowed."""
    data = call.data.node("data")
    page, size, after = _paging(data)
    code = data.opt_text("fixmedins_code", max_len=32) or call.fixmedins_code
    if code != call.fixmedins_code:
        raise invalid(
            "AUTH_INSTITUTION",
            "input.data.fixmedins_code",
            f"字段 input.data.fixmedins_code：{code} 不是本机构，只能查询本机构的目录匹配",
        )
    with call.uow() as uow:
        list_type = data.code("list_type", dictionaries(uow.session), required=False)
        found = InterfaceRepository(uow.session).mapping_page(
            fixmedins_code=code,
            medins_list_codg=data.opt_text("medins_list_codg", max_len=150),
            hilist_code=data.opt_text("med_list_codg", max_len=50),
            list_type=list_type,
            updated_after=after,
            page=page,
            size=size,
        )
    rows = [_mapping_row(m, call) for m in found.items]
    return Result(page_output(rows, page, size, found.total))


def _mapping_row(mapping: CodeMapping, call: Call) -> dict[str, Any]:
    decided = local_text(mapping.decided_at or mapping.submitted_at)[:10]
    return {
        "fixmedins_code": mapping.fixmedins_code,
        "medins_list_codg": mapping.medins_list_codg,
        "medins_list_name": mapping.medins_list_name,
        "insu_admdvs": mapping.admdvs,
        "list_type": mapping.list_type,
        "med_list_codg": mapping.hilist_code,
        "begndate": mapping.begin.isoformat(),
        "enddate": mapping.end.isoformat() if mapping.end else None,
        "aprvno": None,
        "dosform": None,
        "exct_cont": None,
        "item_cont": None,
        "prcunt": None,
        "spec": None,
        "pacspec": None,
        "memo": mapping.reason,
        "vali_flag": "1" if mapping.status == "approved" else "0",
        "rid": str(mapping.id),
        "updt_time": decided,
        "crter_id": mapping.submitted_by,
        "crter_name": mapping.submitted_by,
        "crte_time": local_text(mapping.submitted_at)[:10],
        "crte_optins_no": None,
        "opter_id": mapping.decided_by,
        "opter_name": mapping.decided_by,
        "opt_time": decided,
        "optins_no": None,
        "poolarea_no": mapping.admdvs or call.admdvs,
    }


def _operator_fields(item: CatalogItem, admdvs: str) -> dict[str, Any]:
    """Who created and last changed a catalog version: the catalog holds no operator, so the platform
    (yibao, 医保目录管理) and the region that keeps the item stand in."""
    keeper = item.admdvs or admdvs
    return {
        "crter_id": "yibao",
        "crter_name": "医保目录管理",
        "crte_optins_no": keeper,
        "opter_id": "yibao",
        "opter_name": "医保目录管理",
        "opt_time": local_text(item.updated_at)[:10],
        "optins_no": keeper,
    }


def _validity(flag: str | None, day: date) -> dict[str, date]:
    """vali_flag of a query as a filter: 1 in force on `day`, 0 not in force, absent both."""
    if flag is None:
        return {}
    return {"valid_on": day} if flag == "1" else {"invalid_on": day}


def ethnic_drugs(call: Call) -> Result:
    """1304: the ethnic drugs (民族药品目录, list_type 104) changed since updt_time, paged; vali_flag 1
    keeps the versions in force today, 0 the others."""
    data = call.data.node("data")
    page, size, after = _paging(data)
    today = call.now.astimezone(LOCAL_TZ).date()
    with call.uow() as uow:
        flag = data.code("vali_flag", dictionaries(uow.session), required=False)
        found = InterfaceRepository(uow.session).catalog_page(
            code=data.opt_text("med_list_codg", max_len=50),
            name=data.opt_text("drug_prodname", max_len=500) or data.opt_text("drug_genname", max_len=500),
            list_type="104",
            chrgitm_lv=None,
            updated_after=after,
            page=page,
            size=size,
            **_validity(flag, today),
        )
        dicts = dictionaries(uow.session)
    rows = []
    for item in found.items:
        rows.append(
            {
                "med_list_codg": item.code,
                "drug_prodname": item.name,
                "genname_codg": None,
                "drug_genname": item.generic_name,
                "dosform": dicts.label("drug_dosform", item.dosform or "") or item.dosform,
                "drug_spec": item.spec,
                "min_prcunt": item.unit,
                "begndate": item.begin.isoformat(),
                "enddate": item.end.isoformat() if item.end else None,
                "memo": item.restr_indication,
                "vali_flag": _valid(item.begin, item.end, today),
                "rid": f"{item.code}-{item.begin:%Y%m%d}",
                "crte_time": local_text(item.created_at)[:10],
                "updt_time": local_text(item.updated_at)[:10],
                "ver": version_of(item),
            }
            | _operator_fields(item, call.admdvs)
        )
    return Result(page_output(rows, page, size, found.total))


def catalog_matches(call: Call) -> Result:
    """1316: medical catalog to insurance catalog matches (医疗目录与医保目录匹配). yibao keeps one national
    code per item for both catalogs, so each catalog version matches itself; paged like 1312. query_date
    keeps the versions in force that day; vali_flag 1/0 those in force (or not) on it, default today."""
    data = call.data.node("data")
    page, size, after = _paging(data)
    query_date = data.day("query_date", required=False)
    today = query_date or call.now.astimezone(LOCAL_TZ).date()
    with call.uow() as uow:
        dicts = dictionaries(uow.session)
        list_type = data.code("list_type", dicts, required=False)
        flag = data.code("vali_flag", dicts, required=False)
        if query_date is not None and flag is None:
            flag = "1"  # 查询时间点: the matches in force that day
        found = InterfaceRepository(uow.session).catalog_page(
            code=data.opt_text("hilist_code", max_len=30) or data.opt_text("med_list_codg", max_len=30),
            name=None,
            list_type=list_type,
            chrgitm_lv=None,
            updated_after=after,
            page=page,
            size=size,
            **_validity(flag, today),
        )
    rows = []
    for item in found.items:
        rows.append(
            {
                "med_list_codg": item.code,
                "hilist_code": item.code,
                "list_type": item.list_type,
                "insu_admdvs": item.admdvs or call.admdvs,
                "begndate": item.begin.isoformat(),
                "enddate": item.end.isoformat() if item.end else None,
                "memo": None,
                "vali_flag": _valid(item.begin, item.end, today),
                "rid": f"{item.code}-{item.begin:%Y%m%d}",
                "updt_time": local_text(item.updated_at)[:10],
                "crte_time": local_text(item.created_at)[:10],
                "poolarea_no": item.admdvs,
            }
            | _operator_fields(item, call.admdvs)
        )
    return Result(page_output(rows, page, size, found.total))
