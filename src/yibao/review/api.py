"""REST API of claims review (审核) under /api/v1/review: declarations, items, findings, deductions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from yibao.core.excel import XLSX_MEDIA_TYPE
from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.domain.review import SettlementAmounts
from yibao.review import service
from yibao.review.schemas import (
    AnswerIn,
    AppealIn,
    BatchDecisionIn,
    BatchOut,
    CalendarDayIn,
    CalendarDayOut,
    CheckIn,
    CloseOverdueOut,
    CompletenessOut,
    DecisionIn,
    DeclarationDetailOut,
    DeclarationOut,
    DeclareIn,
    DeductionTotalOut,
    FindingsImportOut,
    ItemIn,
    ItemOut,
    ParametersIn,
    ParametersOut,
    PlatformSettlementOut,
    ReturnIn,
    RunImportIn,
)
from yibao.web.deps import RecordId, UowDep

router = APIRouter(prefix="/api/v1/review", tags=["审核 review"], responses=ERROR_RESPONSES)


def _amounts(rows: list[object] | None) -> list[SettlementAmounts] | None:
    if rows is None:
        return None
    return [SettlementAmounts(r.setl_id, r.medfee_sumamt, r.fund_pay_sumamt) for r in rows]  # type: ignore[attr-defined]


@router.get("/to-declare", response_model=list[PlatformSettlementOut])
def to_declare(uow: UowDep, fixmedins_code: str, period: str) -> object:
    """The settlements of an institution's month as the platform holds them (the list to declare)."""
    return service.settlements_to_declare(uow=uow, fixmedins_code=fixmedins_code, period=period)


@router.post("/check", response_model=CompletenessOut)
def check(body: CheckIn, uow: UowDep) -> object:
    """Check a declared list against the platform's settlements; nothing is stored."""
    report = service.check_declaration(
        uow=uow,
        fixmedins_code=body.fixmedins_code,
        period=body.period,
        settlements=_amounts(list(body.settlements)) or [],
    )
    return asdict(report) | {"complete": report.complete}


@router.post("/declarations", response_model=DeclarationOut, status_code=201)
def declare(body: DeclareIn, uow: UowDep) -> object:
    return service.declare(
        uow=uow,
        fixmedins_code=body.fixmedins_code,
        period=body.period,
        settlements=_amounts(list(body.settlements) if body.settlements is not None else None),
        cash_claims=[service.CashClaimInput(**c.model_dump()) for c in body.cash_claims],
        note=body.note,
    )


@router.get("/declarations", response_model=PageOut[DeclarationOut])
def list_declarations(
    uow: UowDep,
    admdvs: str | None = None,
    period: str | None = None,
    fixmedins_code: str | None = None,
    status: str | None = None,
    page: int = 1,
    size: int = 20,
) -> object:
    return service.list_declarations(
        uow=uow,
        admdvs=admdvs,
        period=period,
        fixmedins_code=fixmedins_code,
        status=status,
        page=page,
        size=size,
    )


@router.get("/declarations/{decl_no}", response_model=DeclarationDetailOut)
def get_declaration(decl_no: str, uow: UowDep) -> object:
    view = service.get_declaration(uow=uow, decl_no=decl_no)
    return {
        "declaration": view.declaration,
        "settlements": view.settlements,
        "cash_claims": view.cash_claims,
        "items": view.items,
        "events": view.events,
        "refused_fen": view.refused_fen,
        "penalty_fen": view.penalty_fen,
        "confirmed_fen": view.confirmed_fen,
        "open_fen": view.open_fen,
        "by_reason": view.by_reason,
    }


@router.get("/declarations/{decl_no}/export.xlsx", response_class=Response)
def export(decl_no: str, uow: UowDep) -> Response:
    data = service.export_declaration(uow=uow, decl_no=decl_no)
    name = quote(f"审核结果-{decl_no}.xlsx")
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@router.post("/declarations/{decl_no}/items", response_model=ItemOut, status_code=201)
def add_item(decl_no: str, body: ItemIn, uow: UowDep) -> object:
    return service.add_item(uow=uow, decl_no=decl_no, **body.model_dump())


@router.post("/declarations/{decl_no}/return", response_model=DeclarationOut)
def return_declaration(decl_no: str, body: ReturnIn, uow: UowDep) -> object:
    """Return a declaration not yet under review; the institution declares the month again."""
    return service.return_declaration(uow=uow, decl_no=decl_no, reason=body.reason)


@router.post("/declarations/{decl_no}/complete", response_model=DeclarationOut)
def complete(decl_no: str, uow: UowDep) -> object:
    return service.complete_review(uow=uow, decl_no=decl_no)


@router.post("/declarations/{decl_no}/decide-batch", response_model=BatchOut)
def decide_batch(decl_no: str, body: BatchDecisionIn, uow: UowDep) -> object:
    """Deduct at the suggestions, or clear, many pending items at once (all or none)."""
    return service.decide_batch(uow=uow, decl_no=decl_no, **body.model_dump())


@router.post("/declarations/{decl_no}/accept-all", response_model=BatchOut)
def accept_all(decl_no: str, uow: UowDep) -> object:
    """The institution accepts every deduction awaiting its answer."""
    return service.accept_all(uow=uow, decl_no=decl_no)


@router.get("/items", response_model=PageOut[ItemOut])
def queue(
    uow: UowDep,
    admdvs: str | None = None,
    period: str | None = None,
    fixmedins_code: str | None = None,
    status: str | None = None,
    reason_code: str | None = None,
    source: str | None = None,
    page: int = 1,
    size: int = 20,
) -> object:
    return service.review_queue(
        uow=uow,
        admdvs=admdvs,
        period=period,
        fixmedins_code=fixmedins_code,
        status=status,
        reason_code=reason_code,
        source=source,
        page=page,
        size=size,
    )


@router.get("/items/{item_id}", response_model=ItemOut)
def get_item(item_id: RecordId, uow: UowDep) -> object:
    return service.get_item(uow=uow, item_id=item_id)


@router.post("/items/{item_id}/decision", response_model=ItemOut)
def decide(item_id: RecordId, body: DecisionIn, uow: UowDep) -> object:
    return service.decide(uow=uow, item_id=item_id, **body.model_dump())


@router.post("/items/{item_id}/answer", response_model=ItemOut)
def answer(item_id: RecordId, body: AnswerIn, uow: UowDep) -> object:
    return service.answer(uow=uow, item_id=item_id, action=body.action, note=body.note)


@router.post("/items/{item_id}/appeal", response_model=ItemOut)
def appeal(item_id: RecordId, body: AppealIn, uow: UowDep) -> object:
    return service.answer(uow=uow, item_id=item_id, action="appeal", note=body.note)


@router.post("/findings/import", response_model=FindingsImportOut)
async def import_findings(
    uow: UowDep,
    file: Annotated[UploadFile, File(description="findings.parquet 或 findings.csv（WAREHOUSE 布局）")],
    admdvs: Annotated[str, Form(max_length=6, description="统筹区")],
    period: Annotated[str, Form(max_length=7, description="申报月份 YYYY-MM")],
) -> object:
    rows = service.read_findings_file(file.filename or "", await file.read())
    return _imported(service.import_findings(uow=uow, admdvs=admdvs, period=period, rows=rows))


@router.post("/findings/import-run", response_model=FindingsImportOut)
def import_run(body: RunImportIn, uow: UowDep) -> object:
    """Import the findings of a monitoring run (yibao.monitoring) for a region's month."""
    return _imported(service.import_run_findings(uow=uow, **body.model_dump()))


def _imported(result: service.FindingsResult) -> dict[str, object]:
    return {
        "created": result.created,
        "skipped": [{"finding_id": f, "reason": why} for f, why in result.skipped],
        "skipped_total": result.skipped_total,
        "declarations": sorted(result.declarations),
    }


@router.post("/close-overdue", response_model=CloseOverdueOut)
def close_overdue(uow: UowDep) -> object:
    return {"closed": service.close_overdue(uow=uow)}


@router.get("/deductions", response_model=list[DeductionTotalOut])
def deductions(uow: UowDep, admdvs: str, period: str) -> object:
    """Final deductions of a region's month (what clearing withholds)."""
    return [asdict(d) for d in service.confirmed_deductions(uow=uow, admdvs=admdvs, period=period)]


@router.get("/parameters", response_model=list[ParametersOut])
def parameters(uow: UowDep, admdvs: str) -> object:
    return service.list_parameters(uow=uow, admdvs=admdvs)


@router.post("/parameters", response_model=ParametersOut, status_code=201)
def set_parameters(body: ParametersIn, uow: UowDep) -> object:
    return service.set_parameters(uow=uow, **body.model_dump())


@router.get("/calendar", response_model=list[CalendarDayOut])
def calendar(uow: UowDep) -> object:
    return service.list_calendar(uow=uow)


@router.put("/calendar", response_model=CalendarDayOut)
def set_calendar_day(body: CalendarDayIn, uow: UowDep) -> object:
    return service.set_calendar_day(uow=uow, day=body.day, kind=body.kind, name=body.name)
