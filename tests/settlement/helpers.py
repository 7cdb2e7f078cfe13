"""A small settled world for the settlement tests: region, hospital, catalog with mappings, people, policy."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.factories import add_region, make_actor
from yibao.bootstrap import Container
from yibao.catalog import service as catalog
from yibao.core.security import SYSTEM, Actor, Role
from yibao.enrolment import service as enrolment
from yibao.institutions import service as institutions
from yibao.policy import service as policy
from yibao.settlement import service
from yibao.settlement.service import FeeInput

HOSPITAL = "H43990100001"  # 三级甲等 (hosp_lv 2 → tier 3)
CLINIC = "H43990100002"  # 一级甲等 (hosp_lv 8 → tier 1)
DRUG_B = "XA01ABD075A002010100483"  # 乙类, 10% self-pay first, cap 1.50 yuan
SERVICE_A = "003105120040000"  # 甲类
DRUG_C = "XA01ABD075A002010100484"  # 丙类
WORKER_ID = "110105194912310021"
RESIDENT_ID = "11010519491231002X"


@dataclass(frozen=True)
class World:
    worker: str  # psn_no of an employee (310) with an account
    resident: str  # psn_no of a resident (390)


def _fix_checksum(body17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body17, weights, strict=True))
    return body17 + "10X98765432"[total % 11]


def person_id(n: int) -> str:
    """A valid resident ID number, different for each n."""
    return _fix_checksum(f"11010519800101{n:03d}")


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policy"


def load_policy(container: Container, filename: str) -> None:
    """Load one of the shipped sample policies of 示范市 (439901) as the system actor."""
    with container.uow(SYSTEM) as uow:
        policy.load_policy(uow=uow, text=(EXAMPLES / filename).read_text(encoding="utf-8"), filename=filename)


def build_world(container: Container, *, account_fen: int = 0) -> World:
    add_region(container)
    with container.uow(SYSTEM) as uow:
        institutions.create_institution(
            uow=uow,
            fixmedins_code=HOSPITAL,
            name="示范市第一人民医院",
            fixmedins_type="1",
            admdvs="439901",
            hosp_lv="2",
            agreement_begin=date(2020, 1, 1),
            agreement_end=date(2030, 12, 31),
        )
    with container.uow(SYSTEM) as uow:
        institutions.create_institution(
            uow=uow,
            fixmedins_code=CLINIC,
            name="示范镇卫生院",
            fixmedins_type="1",
            admdvs="439901",
            hosp_lv="8",
            agreement_begin=date(2020, 1, 1),
            agreement_end=date(2030, 12, 31),
        )
    items = [
        (
            "drug",
            {
                "code": DRUG_B,
                "name": "地塞米松磷酸钠注射液",
                "chrgitm_lv": "02",
                "selfpay_ratio": "0.10",
                "price_cap": "1.50",
                "begin": "2024-01-01",
            },
        ),
        ("drug", {"code": DRUG_C, "name": "某丙类药品", "chrgitm_lv": "03", "begin": "2024-01-01"}),
        (
            "service",
            {
                "code": SERVICE_A,
                "name": "住院诊查费",
                "unit": "日",
                "med_chrgitm_type": "02",
                "chrgitm_lv": "01",
                "begin": "2024-01-01",
            },
        ),
    ]
    for kind, fields in items:
        with container.uow(SYSTEM) as uow:
            catalog.create_item(uow=uow, kind=kind, fields=fields)
    for institution in (HOSPITAL, CLINIC):
        operator = make_actor(Role.INSTITUTION, institution_code=institution, username=f"op-{institution}")
        for own_code, (_kind, fields) in zip(("YP001", "YP002", "ZL001"), items, strict=True):
            with container.uow(operator) as uow:
                mapping = catalog.submit_mapping(
                    uow=uow,
                    fixmedins_code=institution,
                    medins_list_codg=own_code,
                    medins_list_name=str(fields["name"]),
                    hilist_code=str(fields["code"]),
                    begin=date(2024, 1, 1),
                )
            with container.uow(SYSTEM) as uow:
                catalog.approve_mapping(uow=uow, mapping_id=mapping.id)
    with container.uow(SYSTEM) as uow:
        worker = enrolment.enrol(
            uow=uow,
            certno=person_id(1),
            name="张职工",
            admdvs="439901",
            insutype="310",
            psn_type="11",
            begin=date(2020, 1, 1),
        ).psn_no
    with container.uow(SYSTEM) as uow:
        resident = enrolment.enrol(
            uow=uow,
            certno=person_id(2),
            name="李居民",
            admdvs="439901",
            insutype="390",
            psn_type="1701",
            begin=date(2020, 1, 1),
        ).psn_no
    if account_fen:
        credit_account(container, worker, account_fen)
    load_policy(container, "439901-310-2024.toml")
    load_policy(container, "439901-390-2024.toml")
    return World(worker=worker, resident=resident)


def credit_account(container: Container, psn_no: str, amount_fen: int) -> None:
    """Put money in a worker's personal account through a paid contribution (the individual part)."""
    with container.uow(SYSTEM) as uow:
        relation = enrolment.list_relations(uow=uow, psn_no=psn_no)[0]
        enrolment.record_contribution(
            uow=uow,
            psn_no=psn_no,
            relation_id=relation.id,
            period="2024-01",
            individual_fen=amount_fen,
            base_wage_fen=amount_fen * 50,
            paid_on=date(2024, 1, 15),
        )


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def fee(
    sn: str, code: str, yuan: str, *, cnt: str = "1", day: str = "2024-03-01", refund_of: str | None = None
) -> FeeInput:
    """A fee line of `cnt` units at `yuan` yuan each."""
    price = Decimal(yuan) * 100
    quantity = Decimal(cnt)
    return FeeInput(
        feedetl_sn=sn,
        fee_ocur_time=at(day, 10),
        medins_list_codg=code,
        cnt=quantity,
        pric=price,
        det_item_fee_sumamt=int(price * quantity),
        init_feedetl_sn=refund_of,
    )


def open_visit(
    container: Container,
    psn_no: str,
    *,
    med_type: str = "2101",
    institution: str = HOSPITAL,
    day: str = "2024-03-01",
    actor: Actor = SYSTEM,
    **extra: Any,
) -> str:
    with container.uow(actor) as uow:
        visit = service.register_visit(
            uow=uow,
            psn_no=psn_no,
            fixmedins_code=institution,
            med_type=med_type,
            begntime=at(day),
            diagnoses=extra.pop("diagnoses", ["J18.900"]),
            **extra,
        )
    return visit.mdtrt_id


def request_id() -> str:
    return uuid.uuid4().hex


def line_details(container: Container, mdtrt_id: str) -> list[tuple[object, ...]]:
    """Each stored line of a visit: (sn, ordering department and doctor, supply days, take-home flag)."""
    with container.uow(SYSTEM) as uow:
        return [
            (line.feedetl_sn, line.bilg_dept_codg, line.bilg_dr_codg, line.prd_days, line.dscg_tkdrug_flag)
            for line in service.get_visit(uow=uow, mdtrt_id=mdtrt_id).lines
        ]
