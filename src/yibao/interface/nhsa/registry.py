"""Which transaction (infno) is served by which function, and which are refused as not enabled."""

from __future__ import annotations

from collections.abc import Callable

from yibao.interface.nhsa import (
    catalogs,
    disease_catalogs,
    fees,
    files,
    people,
    pharmacy,
    queries,
    recon,
    reversal,
    rules,
    settle,
    signin,
    special_flags,
    visits,
)
from yibao.interface.nhsa.envelope import Call, Result

Handler = Callable[[Call], Result]

HANDLERS: dict[str, Handler] = {
    "9001": signin.sign_in,
    "9002": signin.sign_out,
    "9101": files.upload,
    "9102": files.download,
    "1101": people.person_info,
    "1201": queries.institution_info,
    "1301": catalogs.download,
    "1302": catalogs.download,
    "1303": catalogs.download,
    "1304": catalogs.ethnic_drugs,
    "1305": catalogs.download,
    "1306": catalogs.download,
    "1306A": catalogs.download,
    "1307": catalogs.download,
    "1308": catalogs.download,
    "1309": disease_catalogs.download,
    "1310": disease_catalogs.download,
    "1311": disease_catalogs.download,
    "1312": catalogs.catalog_info,
    "1313": disease_catalogs.download,
    "1314": disease_catalogs.download,
    "1315": disease_catalogs.download,
    "1316": catalogs.catalog_matches,
    "1317": catalogs.institution_mappings,
    "1318": catalogs.price_caps,
    "1319": catalogs.selfpay_ratios,
    "1320": catalogs.download,
    "1901": queries.dictionary,
    "2001": people.benefit_check,
    "2101": pharmacy.pre_settle,
    "2102": pharmacy.settle,
    "2103": pharmacy.reverse,
    "2201": visits.register_outpatient,
    "2202": visits.cancel,
    "2203": visits.upload_visit,
    "2204": fees.upload,
    "2205": fees.cancel_outpatient,
    "2206": settle.pre_settle,
    "2207": settle.settle,
    "2208": settle.reverse,
    "2301": fees.upload,
    "2302": fees.cancel_inpatient,
    "2303": settle.pre_settle,
    "2304": settle.settle,
    "2305": settle.reverse,
    "2401": visits.admit,
    "2402": visits.discharge,
    "2403": visits.change_admission,
    "2404": visits.cancel,
    "2405": visits.cancel_discharge,
    "2406": special_flags.upload,
    "2407": special_flags.query,
    "2601": reversal.reverse_message,
    "3101": rules.analyse,  # 明细审核事前分析 (monitoring rules, scenario pre)
    "3102": rules.analyse,  # 明细审核事中分析 (monitoring rules, scenario in)
    "3201": recon.totals,
    "3202": recon.details,
    "5201": queries.visits,
    "5202": queries.diagnoses,
    "5203": queries.settlement_info,
    "5204": queries.fee_details,
    "5205": queries.chronic_drugs,
    "5206": queries.year_totals,
}

LIMITED: dict[str, str] = {  # served, with a limit written in docs/interface.md
    "1309": "病种名称与大类为空：待遇政策只有病种代码与限额 names not held: policies give codes, limits",
    "1311": "yibao 无日间手术病种目录，文件无数据行 no such list: empty file",
    "1312": "hilist_use_type（医保目录使用类别）为 null，目录不持有 not held by the catalog",
    "1313": "yibao 无肿瘤形态学目录，文件无数据行 no such list: empty file",
    "1314": "yibao 无中医疾病目录，文件无数据行 no such list: empty file",
    "1315": "yibao 无中医证候目录，文件无数据行 no such list: empty file",
    "2406": "上传即生效，尚无中心审核步骤 in force once uploaded, no review step yet",
}

PARTIAL: set[str] = set()  # checked, then refused (none left)

NOT_ENABLED: dict[str, str] = {}  # answered "未开通"; 3101/3102 now run the monitoring library

NO_SIGN_IN = {"9001"}  # every other transaction must carry the sign_no of an open sign-in
