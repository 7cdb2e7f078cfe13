"""Builders for the assessment tests: a settled world with drugs in the catalog and a doctor."""

from __future__ import annotations

from datetime import date

from tests.institutions.helpers import add_doctor, supervisor
from tests.settlement.helpers import HOSPITAL, World, build_world
from yibao.bootstrap import Container
from yibao.catalog import service as catalog
from yibao.core.security import SYSTEM, Actor

DOCTOR = "D43990100001"
WESTERN_LISTED = [f"XA01ABD075A0020101{n:05d}" for n in range(17)]  # 17 乙类 western drugs
WESTERN_OUTSIDE = [f"XA01ABD075A0020101{900 + n:05d}" for n in range(3)]  # 3 丙类 western drugs
PATENT = ["ZA01AAA0010010101000001", "ZA01AAA0010010101000002"]  # one 甲类, one 丙类


def world_with_drugs(container: Container) -> World:
    """build_world plus 20 western and 2 patent drugs, and a doctor at the hospital."""
    world = build_world(container)
    rows = [(c, "02") for c in WESTERN_LISTED] + [(c, "03") for c in WESTERN_OUTSIDE]
    rows += [(PATENT[0], "01"), (PATENT[1], "03")]
    for code, level in rows:
        with container.uow(SYSTEM) as uow:
            catalog.create_item(
                uow=uow,
                kind="drug",
                fields={"code": code, "name": f"药品{code[-4:]}", "chrgitm_lv": level, "begin": "2024-01-01"}
                | ({"selfpay_ratio": "0.10"} if level == "02" else {}),
            )
    add_doctor(container, DOCTOR, fixmedins_code=HOSPITAL, begin=date(2024, 1, 1))
    return world


def assessor() -> Actor:
    """A supervisor: assesses, supervises and writes institutions in 439901."""
    return supervisor()


def report_row(code: str, day: str = "2024-03-05", **kw: str) -> dict[str, str]:
    row = {
        "drug_code": code,
        "drug_name": f"药品{code[-4:]}",
        "maker": "示范制药有限公司",
        "channel": "省药品集中采购平台",
        "purchase_day": day,
        "quantity": "100",
        "purchase_price": "1.20",
        "sale_price": "1.38",
    }
    row.update(kw)
    return row
