"""Console pages of intelligent monitoring: rule library, run history, findings with drill-down, cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.clock import LOCAL_TZ
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import parse_date, require_date
from yibao.domain.errors import BusinessError, invalid
from yibao.domain.money import fen_to_yuan, yuan_to_fen
from yibao.domain.monitoring import CASE_ACTIONS, CASE_LABELS, FAMILIES
from yibao.monitoring import export, indicators, service
from yibao.web.deps import ContainerDep

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("/console/monitoring/rules", "智能监控", "Monitoring", Perm.MONITOR_READ, order=70),
    NavItem("/console/monitoring/cases", "疑点", "Cases", Perm.MONITOR_READ, order=71),
]
_M = "/console/monitoring"


def _page(request: Request, uow: UnitOfWork, template: str, **context: Any) -> Response:
    return render(request, template, actor=uow.actor, yuan=fen_to_yuan, **context)


def _refused(request: Request, uow: UnitOfWork, exc: BusinessError) -> Response:
    return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))


def _form_again(
    request: Request, uow: UnitOfWork, exc: BusinessError, page_of: Callable[[BusinessError], Response]
) -> Response:
    """The form's page again showing why it was refused (with the refusal's status); the plain
    refusal page if the form's own page cannot be shown."""
    try:
        page = page_of(exc)
    except BusinessError as missing:
        return _refused(request, uow, missing)
    page.status_code = error_status(exc)
    return page


def parse_param_lines(text: str) -> dict[str, Any]:
    """`name=value` per line (integers, comma lists, text) as a parameter mapping."""
    params: dict[str, Any] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise invalid("PARAM_FORMAT", "params", f"参数行 {line!r} 应写作 名称=值")
        value = value.strip()
        if value.isdigit():
            params[name.strip()] = int(value)
        elif "," in value:
            params[name.strip()] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            params[name.strip()] = value
    return params


def _rules_page(
    request: Request, uow: UnitOfWork, admdvs: str | None, day: str | None, **context: Any
) -> Response:
    on = parse_date(day, field="day", required=False) or service.today()
    views = service.library(uow=uow, admdvs=admdvs or None, day=on)
    knowledge, version = service.knowledge_in_use(uow=uow)
    return _page(
        request,
        uow,
        "monitoring/rules.html",
        views=views,
        admdvs=admdvs or "",
        day=on.isoformat(),
        counts=knowledge.counts(),
        version=version,
        **context,
    )


@router.get(f"{_M}/rules")
def rules(request: Request, uow: ConsoleUow, admdvs: str | None = None, day: str | None = None) -> Response:
    try:
        return _rules_page(request, uow, admdvs, day)
    except BusinessError as exc:
        return _refused(request, uow, exc)


@router.post(f"{_M}/rules")
def rules_set(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    try:
        row = service.set_rule(
            uow=uow,
            admdvs=form.get("admdvs", ""),
            rule_id=form.get("rule_id", ""),
            enabled=form.get("enabled", "1") == "1",
            params=parse_param_lines(form.get("params", "")),
            begin=require_date(form.get("begin"), field="begin"),
            end=parse_date(form.get("end"), field="end", required=False),
            note=form.get("note") or None,
        )
    except BusinessError as exc:
        with_error = _rules_page(request, uow, form.get("admdvs"), None, form=form, error=exc)
        with_error.status_code = error_status(exc)
        return with_error
    return redirect(f"{_M}/rules?admdvs={row.admdvs}&day={row.begin}")


def _finished_exports(uow: UnitOfWork, export_dir: Path) -> list[export.ExportRow]:
    """The latest exports still in the export folder, to run the rule library on."""
    found = export.list_exports(uow=uow, export_dir=export_dir, page=1, size=50)
    return [row for row in found.items if row.available]


def _runs_page(request: Request, uow: UnitOfWork, page: int, export_dir: Path, **context: Any) -> Response:
    result = service.list_runs(uow=uow, page=max(page, 1), size=20)
    return _page(
        request,
        uow,
        "monitoring/runs.html",
        page=result,
        engines=service.ENGINES,
        exports=_finished_exports(uow, export_dir),
        **context,
    )


@router.get(f"{_M}/runs")
def runs(request: Request, uow: ConsoleUow, container: ContainerDep, page: int = 1) -> Response:
    try:
        return _runs_page(request, uow, page, container.settings.export_dir, form={})
    except BusinessError as exc:
        return _refused(request, uow, exc)


def default_out_dir(data_dir: Path, now: datetime) -> Path:
    """Where a console run writes when no folder is given: beside the data set, named by the time."""
    return data_dir.parent / f"{data_dir.name}_monitor_{now.strftime('%Y%m%d%H%M%S')}"


@router.post(f"{_M}/runs")
def run_start(request: Request, uow: ConsoleUow, form: FormData, container: ContainerDep) -> Response:
    """Start a batch run on a data set folder of the server (批量运行); the page waits for the result."""
    export_dir = container.settings.export_dir
    try:
        export_name = form.get("export", "").strip()
        data_text = form.get("data_dir", "").strip()
        if export_name:  # a finished export of the export folder (its path is never taken from the form)
            data_text = export.get_export(uow=uow, export_dir=export_dir, name=export_name).out
        if not data_text:
            raise invalid("DATA_DIR", "data_dir", "字段 data_dir 数据集目录必填（或选择一个已完成的导出）")
        data_dir = Path(data_text)
        out_text = form.get("out_dir", "").strip()
        row = service.run_batch(
            uow=uow,
            data_dir=data_dir,
            out_dir=Path(out_text) if out_text else default_out_dir(data_dir, datetime.now(LOCAL_TZ)),
            day=service.today(),
            engine=form.get("engine") or "duckdb",
            admdvs=form.get("admdvs") or None,
            reference_dir=container.settings.reference_dir,
        )
    except BusinessError as exc:
        uow.rollback()
        return _form_again(
            request, uow, exc, lambda error: _runs_page(request, uow, 1, export_dir, form=form, error=error)
        )
    return redirect(f"{_M}/runs/{row.run_no}")


def _exports_page(request: Request, uow: UnitOfWork, page: int, export_dir: Path, **context: Any) -> Response:
    result = export.list_exports(uow=uow, export_dir=export_dir, page=max(page, 1), size=20)
    return _page(
        request,
        uow,
        "monitoring/exports.html",
        page=result,
        tables=export.EXPORTED,
        max_days=export.MAX_EXPORT_DAYS,
        **context,
    )


@router.get(f"{_M}/exports")
def exports(
    request: Request, uow: ConsoleUow, container: ContainerDep, page: int = 1, done: str | None = None
) -> Response:
    """Exports of the settled data (导出业务数据): the form, the past exports with their rows, downloads."""
    try:
        return _exports_page(request, uow, page, container.settings.export_dir, form={}, done=done or "")
    except BusinessError as exc:
        return _refused(request, uow, exc)


@router.post(f"{_M}/exports")
def export_start(request: Request, uow: ConsoleUow, form: FormData, container: ContainerDep) -> Response:
    """Export a region and period into a new folder of the export folder; the page waits for it."""
    export_dir = container.settings.export_dir
    try:
        result = export.start_export(
            uow=uow,
            export_dir=export_dir,
            admdvs=form.get("admdvs", "").strip(),
            begin=form.get("begin", "").strip(),
            end=form.get("end", "").strip(),
        )
    except BusinessError as exc:
        uow.rollback()
        return _form_again(
            request,
            uow,
            exc,
            lambda error: _exports_page(request, uow, 1, export_dir, form=form, error=error),
        )
    return redirect(f"{_M}/exports?done={result.out.name}")


@router.get(f"{_M}/exports/{{name}}.zip", response_model=None)
def export_download(
    request: Request, uow: ConsoleUow, container: ContainerDep, name: str
) -> Response | StreamingResponse:
    """The export's Parquet files as one ZIP, streamed."""
    try:
        uow.actor.require(Perm.MONITOR_WRITE)
        row = export.get_export(uow=uow, export_dir=container.settings.export_dir, name=name)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return StreamingResponse(
        export.zip_chunks(Path(row.out)),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{row.name}.zip"'},
    )


@router.get(f"{_M}/runs/{{run_no}}/indicators")
def run_indicators(request: Request, uow: ConsoleUow, run_no: str, level: str = "institution") -> Response:
    """Charts of the statistical indicators over the months and the focus institutions (重点机构)."""
    try:
        view = indicators.run_indicators(uow=uow, run_no=run_no, level=level)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    chart = {
        "periods": view.periods,
        "units": view.units,
        "cost": [view.cost_per_visit[u] for u in view.units],
        "visits": [view.visits[u] for u in view.units],
        "shares": {
            "units": [r["unit"] for r in view.latest[:10]],
            "drug": [r["drug_share"] for r in view.latest[:10]],
            "test": [r["test_share"] for r in view.latest[:10]],
            "consumable": [r["consumable_share"] for r in view.latest[:10]],
        },
        "focus": {
            "codes": [f["fixmedins_code"] for f in view.focus[:10]],
            "ratio": [f["ratio"] for f in view.focus[:10]],
            "peer": [f["peer_ratio"] for f in view.focus[:10]],
        },
    }
    return _page(
        request,
        uow,
        "monitoring/indicators.html",
        view=view,
        chart=chart,
        levels=indicators.LEVELS,
        level_labels=indicators.LEVEL_LABELS,
    )


_FILTERS = ("rule_family", "rule_id", "fixmedins_code", "mdtrt_id", "psn_no", "sev_deg")


@router.get(f"{_M}/runs/{{run_no}}")
def run_detail(request: Request, uow: ConsoleUow, run_no: str, page: int = 1) -> Response:
    filters = {k: request.query_params.get(k) or None for k in _FILTERS}
    try:
        run = service.get_run(uow=uow, run_no=run_no)
        found = service.run_findings(uow=uow, run_no=run_no, filters=filters, page=max(page, 1), size=50)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _page(request, uow, "monitoring/run.html", run=run, page=found, filters=filters, families=FAMILIES)


@router.get(f"{_M}/runs/{{run_no}}/findings/{{finding_id}}")
def finding(request: Request, uow: ConsoleUow, run_no: str, finding_id: str) -> Response:
    try:
        item, lines = service.finding_detail(uow=uow, run_no=run_no, finding_id=finding_id)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _page(request, uow, "monitoring/finding.html", run_no=run_no, finding=item, lines=lines)


@router.post(f"{_M}/runs/{{run_no}}/cases")
def run_cases(request: Request, uow: ConsoleUow, run_no: str, form: FormData) -> Response:
    try:
        service.open_cases(uow=uow, run_no=run_no, min_sev=int(form.get("min_sev") or 1))
    except (BusinessError, ValueError) as exc:
        error = (
            exc
            if isinstance(exc, BusinessError)
            else invalid("MIN_SEV", "min_sev", "字段 min_sev 应为 1、2 或 3")
        )
        return _refused(request, uow, error)
    return redirect(f"{_M}/cases?run_no={run_no}")


@router.get(f"{_M}/cases")
def cases(
    request: Request,
    uow: ConsoleUow,
    status: str | None = None,
    fixmedins_code: str | None = None,
    run_no: str | None = None,
    page: int = 1,
) -> Response:
    try:
        result = service.list_cases(
            uow=uow,
            status=status or None,
            fixmedins_code=fixmedins_code or None,
            run_no=run_no or None,
            page=max(page, 1),
            size=20,
        )
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _page(
        request,
        uow,
        "monitoring/cases.html",
        page=result,
        labels=CASE_LABELS,
        filters={"status": status or "", "fixmedins_code": fixmedins_code or "", "run_no": run_no or ""},
    )


def _case_page(request: Request, uow: UnitOfWork, case_no: str, **context: Any) -> Response:
    view = service.get_case(uow=uow, case_no=case_no)
    return _page(
        request, uow, "monitoring/case.html", view=view, labels=CASE_LABELS, actions=CASE_ACTIONS, **context
    )


@router.get(f"{_M}/cases/{{case_no}}")
def case(request: Request, uow: ConsoleUow, case_no: str) -> Response:
    try:
        return _case_page(request, uow, case_no)
    except BusinessError as exc:
        return _refused(request, uow, exc)


@router.post(f"{_M}/cases/{{case_no}}")
def case_act(request: Request, uow: ConsoleUow, case_no: str, form: FormData) -> Response:
    try:
        recover = form.get("recover_amt")
        service.act_on_case(
            uow=uow,
            case_no=case_no,
            action=form.get("action", ""),
            assignee=form.get("assignee") or None,
            note=form.get("note") or None,
            attachment=form.get("attachment") or None,
            recover_fen=yuan_to_fen(recover, field="recover_amt") if recover else None,
        )
    except BusinessError as exc:
        return _form_again(
            request, uow, exc, lambda error: _case_page(request, uow, case_no, form=form, error=error)
        )
    return redirect(f"{_M}/cases/{case_no}")
