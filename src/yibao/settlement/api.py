"""REST API of real-time settlement: visits, fee details, pre-settlement, settlement, reversal, queries."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from yibao.core.clock import as_aware
from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.domain.settlement import Breakdown
from yibao.settlement import service
from yibao.settlement.schemas import (
    BreakdownOut,
    ChronicIn,
    DischargeIn,
    FeeCancelIn,
    FeesIn,
    IdentityCheckIn,
    IdentityCheckOut,
    ReverseIn,
    RuleWarningOut,
    SettleIn,
    SettlementOut,
    VisitDetailOut,
    VisitIn,
    VisitOut,
)
from yibao.web.deps import UowDep

router = APIRouter(prefix="/api/v1", tags=["结算 settlement"], responses=ERROR_RESPONSES)


def _breakdown(b: Breakdown) -> BreakdownOut:
    amounts = {k: v for k, v in asdict(b).items() if isinstance(v, int) and not isinstance(v, bool)}
    return BreakdownOut(
        **amounts,
        review_required=b.review_required,
        setldetail=[{"fund_pay_type": code, "amount": amount} for code, amount in b.fund_details],
        lines=[asdict(split) for split in b.lines],
        trace=[asdict(item) for item in b.trace],
    )


def _settlement(view: service.SettlementView) -> SettlementOut:
    row = view.settlement
    columns = {
        name: getattr(row, name) for name in SettlementOut.model_fields if name not in ("setldetail", "trace")
    }
    return SettlementOut.model_validate(
        columns
        | {
            "setldetail": [{"fund_pay_type": f.fund_pay_type, "amount": f.amount} for f in view.funds],
            "trace": view.trace,
        }
    )


@router.post("/visits", response_model=VisitOut, status_code=201)
def register_visit(body: VisitIn, uow: UowDep) -> object:
    data = body.model_dump()
    data["begntime"] = as_aware(body.begntime)
    return service.register_visit(uow=uow, **data)


@router.get("/visits", response_model=PageOut[VisitOut])
def list_visits(
    uow: UowDep, psn_no: str | None = None, fixmedins_code: str | None = None, page: int = 1, size: int = 20
) -> object:
    return service.list_visits(uow=uow, psn_no=psn_no, fixmedins_code=fixmedins_code, page=page, size=size)


@router.get("/visits/{mdtrt_id}", response_model=VisitDetailOut)
def get_visit(mdtrt_id: str, uow: UowDep) -> object:
    view = service.get_visit(uow=uow, mdtrt_id=mdtrt_id)
    return {"visit": view.visit, "lines": view.lines, "settlements": view.settlements}


@router.post("/visits/{mdtrt_id}/discharge", response_model=VisitOut)
def discharge(mdtrt_id: str, body: DischargeIn, uow: UowDep) -> object:
    return service.discharge(
        uow=uow, mdtrt_id=mdtrt_id, endtime=as_aware(body.endtime), dscg_way=body.dscg_way
    )


@router.post("/visits/{mdtrt_id}/cancel", response_model=VisitOut)
def cancel_visit(mdtrt_id: str, uow: UowDep) -> object:
    return service.cancel_visit(uow=uow, mdtrt_id=mdtrt_id)


@router.post("/visits/{mdtrt_id}/fees", response_model=dict[str, int], status_code=201)
def upload_fees(mdtrt_id: str, body: FeesIn, uow: UowDep) -> dict[str, int]:
    fees = [
        service.FeeInput(**(fee.model_dump() | {"fee_ocur_time": as_aware(fee.fee_ocur_time)}))
        for fee in body.feedetail
    ]
    rows = service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=fees)
    return {"uploaded": len(rows), "amount": sum(r.amount for r in rows)}


@router.post("/visits/{mdtrt_id}/identity-checks", response_model=IdentityCheckOut, status_code=201)
def record_identity_check(mdtrt_id: str, body: IdentityCheckIn, uow: UowDep) -> object:
    return service.record_identity_check(
        uow=uow,
        mdtrt_id=mdtrt_id,
        check_time=as_aware(body.check_time),
        method=body.method,
        matched=body.matched,
    )


@router.get("/visits/{mdtrt_id}/identity-checks", response_model=list[IdentityCheckOut])
def identity_checks(mdtrt_id: str, uow: UowDep) -> object:
    return service.identity_checks(uow=uow, mdtrt_id=mdtrt_id)


@router.post("/visits/{mdtrt_id}/fees/cancel", response_model=dict[str, int])
def cancel_fees(mdtrt_id: str, body: FeeCancelIn, uow: UowDep) -> dict[str, int]:
    return {"cancelled": service.cancel_fees(uow=uow, mdtrt_id=mdtrt_id, feedetl_sns=body.feedetl_sns)}


@router.post("/visits/{mdtrt_id}/pre-settlement", response_model=BreakdownOut)
def pre_settle(mdtrt_id: str, uow: UowDep) -> BreakdownOut:
    quote = service.quote(uow=uow, mdtrt_id=mdtrt_id)
    out = _breakdown(quote.breakdown)
    out.warnings = [
        RuleWarningOut(
            rule_id=f.rule_id,
            rule_name=f.rule_name,
            family=f.family,
            sev_deg=f.national_sev_deg,
            sn=f.sn,
            vola_amt=f.vola_fen,
            evidence=f.evidence,
            blocking=f.blocking,
        )
        for f in quote.findings
    ]
    out.blocked = quote.blocked
    return out


@router.post("/visits/{mdtrt_id}/settlement", response_model=SettlementOut)
def settle(mdtrt_id: str, body: SettleIn, uow: UowDep) -> SettlementOut:
    return _settlement(
        service.settle_view(uow=uow, mdtrt_id=mdtrt_id, request_id=body.request_id, mid_stay=body.mid_stay)
    )


@router.get("/settlements/{setl_id}", response_model=SettlementOut)
def get_settlement(setl_id: str, uow: UowDep) -> SettlementOut:
    return _settlement(service.get_settlement(uow=uow, setl_id=setl_id))


@router.post("/settlements/{setl_id}/reversal", response_model=SettlementOut)
def reverse(setl_id: str, body: ReverseIn, uow: UowDep) -> SettlementOut:
    row = service.reverse(uow=uow, setl_id=setl_id, request_id=body.request_id)
    return _settlement(service.get_settlement(uow=uow, setl_id=row.setl_id))


@router.get("/persons/{psn_no}/ledger/{insutype}/{year}", response_model=dict[str, int])
def ledger(psn_no: str, insutype: str, year: int, uow: UowDep) -> dict[str, int]:
    return service.ledger(uow=uow, psn_no=psn_no, insutype=insutype, year=year)


@router.post("/chronic-registrations", status_code=201, response_model=dict[str, str])
def register_chronic(body: ChronicIn, uow: UowDep) -> dict[str, str]:
    row = service.register_chronic(uow=uow, **body.model_dump())
    return {"psn_no": row.psn_no, "disease_code": row.disease_code}
