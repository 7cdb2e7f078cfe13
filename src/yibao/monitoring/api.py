"""REST API of intelligent monitoring: the rule library and region settings, runs and findings, cases."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from yibao.core.clock import LOCAL_TZ
from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.core.security import Perm
from yibao.domain.errors import invalid
from yibao.monitoring import export, indicators, service
from yibao.monitoring.schemas import (
    CaseActionIn,
    CaseDetailOut,
    CaseOut,
    CasesIn,
    ExportIn,
    ExportOut,
    FindingOut,
    IndicatorsOut,
    RuleOut,
    RuleSettingIn,
    RuleSettingOut,
    RunIn,
    RunOut,
)
from yibao.web.deps import ContainerDep, UowDep

router = APIRouter(tags=["智能监控 monitoring"], responses=ERROR_RESPONSES)
_M = "/api/v1/monitoring"


@router.get(f"{_M}/rules", response_model=list[RuleOut])
def list_rules(uow: UowDep, admdvs: str | None = None, day: date | None = None) -> object:
    views = service.library(uow=uow, admdvs=admdvs, day=day or service.today())
    return [
        RuleOut(
            rule_id=v.rule.rule_id,
            name=v.rule.name,
            rule_class=v.rule.rule_class,
            family=v.rule.family,
            rule_type=v.rule.rule_type,
            scope=v.rule.scope,
            severity=v.rule.severity,
            scenarios=sorted(v.rule.scenarios),
            evidence=v.rule.evidence,
            basis=v.rule.basis,
            blocking=v.rule.blocking,
            enabled=v.enabled,
            in_visit=v.in_visit,
            params={k: list(p) if isinstance(p, tuple) else p for k, p in v.params.items()},
        )
        for v in views
    ]


@router.post(f"{_M}/rules/{{rule_id}}/settings", response_model=RuleSettingOut, status_code=201)
def set_rule(rule_id: str, body: RuleSettingIn, uow: UowDep) -> object:
    return service.set_rule(uow=uow, rule_id=rule_id, **body.model_dump())


@router.get(f"{_M}/runs", response_model=PageOut[RunOut])
def list_runs(uow: UowDep, page: int = 1, size: int = 20) -> object:
    return service.list_runs(uow=uow, page=page, size=size)


@router.post(f"{_M}/runs", response_model=RunOut, status_code=201)
def start_run(body: RunIn, uow: UowDep, container: ContainerDep) -> object:
    if body.export:  # a finished export: its folder is known to the server, never sent by the client
        data_dir = Path(
            export.get_export(uow=uow, export_dir=container.settings.export_dir, name=body.export).out
        )
        out_dir = Path(body.out_dir) if body.out_dir else export.run_out_dir(data_dir, datetime.now(LOCAL_TZ))
    else:
        if not body.data_dir:
            raise invalid("DATA_DIR", "data_dir", "字段 data_dir 数据集目录必填（或给出 export 导出名）")
        if not body.out_dir:
            raise invalid("OUT_DIR", "out_dir", "字段 out_dir 输出目录必填")
        data_dir, out_dir = Path(body.data_dir), Path(body.out_dir)
    return service.run_batch(
        uow=uow,
        data_dir=data_dir,
        out_dir=out_dir,
        day=service.today(),
        engine=body.engine,
        admdvs=body.admdvs,
        rule_ids=body.rule_ids,
        reference_dir=container.settings.reference_dir,
    )


@router.get(f"{_M}/runs/{{run_no}}/indicators", response_model=IndicatorsOut)
def run_indicators(run_no: str, uow: UowDep, level: str = "institution") -> object:
    view = indicators.run_indicators(uow=uow, run_no=run_no, level=level)
    return {
        "run_no": view.run.run_no,
        "level": view.level,
        "periods": view.periods,
        "units": view.units,
        "cost_per_visit": view.cost_per_visit,
        "visits": view.visits,
        "latest": view.latest,
        "focus": view.focus,
    }


@router.get(f"{_M}/runs/{{run_no}}", response_model=RunOut)
def get_run(run_no: str, uow: UowDep) -> object:
    return service.get_run(uow=uow, run_no=run_no)


@router.get(f"{_M}/runs/{{run_no}}/findings", response_model=PageOut[FindingOut])
def run_findings(
    run_no: str,
    uow: UowDep,
    rule_family: str | None = None,
    rule_id: str | None = None,
    fixmedins_code: str | None = None,
    mdtrt_id: str | None = None,
    psn_no: str | None = None,
    sev_deg: str | None = None,
    page: int = 1,
    size: int = 50,
) -> object:
    filters = {
        "rule_family": rule_family,
        "rule_id": rule_id,
        "fixmedins_code": fixmedins_code,
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "sev_deg": sev_deg,
    }
    return service.run_findings(uow=uow, run_no=run_no, filters=filters, page=page, size=size)


@router.post(f"{_M}/runs/{{run_no}}/cases", response_model=list[CaseOut], status_code=201)
def open_cases(run_no: str, body: CasesIn, uow: UowDep) -> object:
    return service.open_cases(uow=uow, run_no=run_no, min_sev=body.min_sev)


@router.get(f"{_M}/cases", response_model=PageOut[CaseOut])
def list_cases(
    uow: UowDep,
    status: str | None = None,
    fixmedins_code: str | None = None,
    run_no: str | None = None,
    page: int = 1,
    size: int = 20,
) -> object:
    return service.list_cases(
        uow=uow, status=status, fixmedins_code=fixmedins_code, run_no=run_no, page=page, size=size
    )


@router.get(f"{_M}/cases/{{case_no}}", response_model=CaseDetailOut)
def get_case(case_no: str, uow: UowDep) -> object:
    view = service.get_case(uow=uow, case_no=case_no)
    return {"case": view.case, "run_no": view.run_no, "findings": view.findings, "notes": view.notes}


@router.post(f"{_M}/cases/{{case_no}}/actions", response_model=CaseOut)
def act_on_case(case_no: str, body: CaseActionIn, uow: UowDep) -> object:
    return service.act_on_case(uow=uow, case_no=case_no, **body.model_dump())


@router.post(f"{_M}/exports", response_model=ExportOut, status_code=201)
def start_export(body: ExportIn, uow: UowDep, container: ContainerDep) -> object:
    """Export a region and period into a new generated folder of the export folder (导出业务数据);
    the answer comes when the folder is complete, with the rows per table."""
    export_dir = container.settings.export_dir
    result = export.start_export(
        uow=uow, export_dir=export_dir, admdvs=body.admdvs, begin=body.begin, end=body.end
    )
    return export.get_export(uow=uow, export_dir=export_dir, name=result.out.name)


@router.get(f"{_M}/exports", response_model=PageOut[ExportOut])
def list_exports(uow: UowDep, container: ContainerDep, page: int = 1, size: int = 20) -> object:
    return export.list_exports(uow=uow, export_dir=container.settings.export_dir, page=page, size=size)


@router.get(f"{_M}/exports/{{name}}/download", response_class=StreamingResponse)
def download_export(name: str, uow: UowDep, container: ContainerDep) -> StreamingResponse:
    """The export's Parquet files as one ZIP, streamed (personal data: `monitoring:write`)."""
    uow.actor.require(Perm.MONITOR_WRITE)
    row = export.get_export(uow=uow, export_dir=container.settings.export_dir, name=name)
    return StreamingResponse(
        export.zip_chunks(Path(row.out)),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{row.name}.zip"'},
    )
