"""REST API of payment methods and clearing: HTTP in, a service call, HTTP out."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from yibao.core.excel import XLSX_MEDIA_TYPE
from yibao.core.schemas import ERROR_RESPONSES
from yibao.domain.drg import GroupCase
from yibao.domain.errors import invalid
from yibao.payment import service
from yibao.payment.schemas import (
    ClearingDetailOut,
    ClearingIn,
    ClearingOut,
    GroupIn,
    GroupOut,
    MethodIn,
    MethodOut,
    TableIn,
    TableOut,
    TableRowOut,
)
from yibao.web.deps import ContainerDep, RecordId, UowDep

router = APIRouter(prefix="/api/v1/payment", tags=["支付方式与清算 payment"], responses=ERROR_RESPONSES)


@router.post("/drg/group", response_model=GroupOut)
def group(body: GroupIn, uow: UowDep, container: ContainerDep) -> object:
    outcome = service.group_case(
        uow=uow,
        reference_dir=container.settings.reference_dir,
        case=GroupCase(
            case_id=body.case_id,
            gend=body.gend,
            age=body.age,
            age_days=body.age_days,
            weight_g=body.weight_g,
            ipt_days=body.ipt_days,
            diag_codes=tuple(body.diag_codes),
            oprn_codes=tuple(body.oprn_codes),
        ),
        admdvs=body.admdvs,
        table=body.table,
        on=body.on,
        total_fen=body.total_fen,
        level=body.level,
        insutype=body.insutype,
    )
    r = outcome.result
    return {
        "case_id": r.case_id,
        "mdc": r.mdc,
        "adrg": r.adrg,
        "drg": r.drg,
        "drg_name": r.drg_name,
        "reasons": list(r.reasons),
        "error_code": r.error_code,
        "rw": None if outcome.rw is None else str(outcome.rw),
        "payment": None if outcome.payment is None else outcome.payment.__dict__,
    }


@router.get("/tables", response_model=list[TableOut])
def list_tables(uow: UowDep, admdvs: str | None = None) -> object:
    return service.list_tables(uow=uow, admdvs=admdvs)


@router.post("/tables", response_model=TableOut, status_code=201)
def load_table(body: TableIn, uow: UowDep, container: ContainerDep) -> object:
    if body.reference:
        return service.load_reference_table(
            uow=uow,
            admdvs=body.admdvs,
            reference_dir=container.settings.reference_dir,
            name=body.reference,
            begin=body.begin,
            end=body.end,
        )
    if not body.text or body.begin is None:
        field = "text" if not body.text else "begin"
        raise invalid("REQUIRED", field, f"字段 {field}：上传付费标准时必须填写（或给出 reference）")
    return service.load_table(
        uow=uow,
        admdvs=body.admdvs,
        name=body.name or "",
        text=body.text,
        begin=body.begin,
        end=body.end,
        source="api",
    )


@router.get("/tables/{table_id}/rows", response_model=list[TableRowOut])
def table_rows(table_id: RecordId, uow: UowDep, q: str | None = None) -> object:
    return service.table_rows(uow=uow, table_id=table_id, q=q)


@router.get("/methods", response_model=list[MethodOut])
def list_methods(uow: UowDep, admdvs: str | None = None) -> object:
    return service.list_methods(uow=uow, admdvs=admdvs)


@router.post("/methods", response_model=MethodOut, status_code=201)
def set_method(body: MethodIn, uow: UowDep) -> object:
    return service.set_method(
        uow=uow,
        admdvs=body.admdvs,
        method=body.method,
        params=body.params,
        begin=body.begin,
        end=body.end,
        fixmedins_code=body.fixmedins_code,
        insutype=body.insutype,
    )


@router.get("/clearings", response_model=list[ClearingOut])
def list_clearings(uow: UowDep, admdvs: str | None = None) -> object:
    return service.list_clearings(uow=uow, admdvs=admdvs)


@router.post("/clearings", response_model=ClearingOut, status_code=201)
def run_clearing(body: ClearingIn, uow: UowDep, container: ContainerDep) -> object:
    return service.run_clearing(
        uow=uow,
        admdvs=body.admdvs,
        period_kind=body.period_kind,
        period=body.period,
        reference_dir=container.settings.reference_dir,
        deductions=body.deductions,
    )


@router.get("/clearings/{clearing_id}", response_model=ClearingDetailOut)
def get_clearing(clearing_id: RecordId, uow: UowDep) -> object:
    clearing, lines, orders = service.get_clearing(uow=uow, clearing_id=clearing_id)
    check = service.reconcile(uow=uow, clearing_id=clearing_id)
    return {"clearing": clearing, "lines": lines, "orders": orders, "balanced": check.balanced}


def _file_name(clearing_id: int, fixmedins_code: str | None, ext: str) -> str:
    suffix = f"-{fixmedins_code}" if fixmedins_code and fixmedins_code.isalnum() else ""
    return f"attachment; filename=clearing-{clearing_id}{suffix}.{ext}"


@router.get("/clearings/{clearing_id}/statement.xlsx", response_class=Response)
def statement(clearing_id: RecordId, uow: UowDep, fixmedins_code: str | None = None) -> Response:
    data = service.statement_xlsx(uow=uow, clearing_id=clearing_id, fixmedins_code=fixmedins_code)
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": _file_name(clearing_id, fixmedins_code, "xlsx")},
    )


@router.get("/clearings/{clearing_id}/statement.pdf", response_class=Response)
def statement_pdf(clearing_id: RecordId, uow: UowDep, fixmedins_code: str | None = None) -> Response:
    data = service.statement_pdf(uow=uow, clearing_id=clearing_id, fixmedins_code=fixmedins_code)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": _file_name(clearing_id, fixmedins_code, "pdf")},
    )
