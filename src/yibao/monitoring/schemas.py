"""API payloads of intelligent monitoring. Amounts inside yibao are integer fen (`*_fen`); the findings
file keeps the national layout (vola_amt in yuan)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from yibao.core.schemas import ApiModel


class RuleOut(BaseModel):
    rule_id: str
    name: str
    rule_class: str
    family: str
    rule_type: str
    scope: str
    severity: int
    scenarios: list[str]
    evidence: str
    basis: str
    blocking: bool
    enabled: bool
    in_visit: bool
    params: dict[str, Any]


class RuleSettingIn(ApiModel):
    admdvs: str = Field(min_length=6, max_length=6)
    enabled: bool
    params: dict[str, Any] = Field(default_factory=dict)
    begin: date
    end: date | None = None
    note: str | None = Field(default=None, max_length=255)


class RuleSettingOut(ApiModel):
    rule_id: str
    admdvs: str
    enabled: bool
    params: str
    begin: date
    end: date | None
    note: str | None
    created_by: str


class RunOut(ApiModel):
    run_no: str
    kind: str
    engine: str
    admdvs: str | None
    data_dir: str
    out_dir: str
    status: str
    findings: int
    vola_fen: int
    knowledge_version: str
    started_at: datetime
    finished_at: datetime


class FindingOut(BaseModel):
    finding_id: str
    rule_id: str
    rule_name: str
    rule_family: str
    scope: str
    bkkp_sn: str | None
    mdtrt_id: str | None
    setl_id: str | None
    psn_no: str | None
    fixmedins_code: str | None
    dr_code: str | None
    vola_amt: Decimal
    sev_deg: int
    evidence: str


class CasesIn(ApiModel):
    min_sev: int = Field(default=1, ge=1, le=3)


class CaseOut(ApiModel):
    case_no: str
    admdvs: str | None
    fixmedins_code: str
    period: str
    status: str
    findings: int
    vola_fen: int
    recover_fen: int | None
    assignee: str | None
    decision_note: str | None


class CaseFindingOut(ApiModel):
    finding_id: str
    rule_id: str
    rule_name: str
    rule_family: str
    scope: str
    bkkp_sn: str | None
    mdtrt_id: str | None
    psn_no: str | None
    vola_fen: int
    sev_deg: int
    evidence: str


class CaseNoteOut(ApiModel):
    at: datetime
    by: str
    action: str
    note: str | None
    attachment: str | None


class CaseDetailOut(BaseModel):
    case: CaseOut
    run_no: str
    findings: list[CaseFindingOut]
    notes: list[CaseNoteOut]


class CaseActionIn(ApiModel):
    action: str = Field(max_length=16)
    assignee: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=2000)
    attachment: str | None = Field(default=None, max_length=255)
    recover_fen: int | None = Field(default=None, ge=0, le=10**13)


_FOLDER = r"^[^\x00-\x1f]+$"  # a server folder: no control characters


class RunIn(ApiModel):
    """Start a batch run on a data set folder of the server (the answer comes when the run is done)."""

    data_dir: str | None = Field(default=None, min_length=1, max_length=500, pattern=_FOLDER)
    out_dir: str | None = Field(default=None, min_length=1, max_length=500, pattern=_FOLDER)
    # instead of data_dir: a finished export of the export folder (out_dir then defaults beside it)
    export: str | None = Field(default=None, max_length=80)
    engine: str = Field(default="duckdb", max_length=10)
    admdvs: str | None = Field(default=None, min_length=6, max_length=6)
    rule_ids: list[str] | None = Field(default=None, max_length=200)


class IndicatorRowOut(BaseModel):
    unit: str
    fixmedins_code: str
    hosp_tier: int
    period: str
    visits: int
    persons: int
    admissions: int
    medfee: str
    cost_per_visit: str
    cost_per_stay: str | None
    drug_share: str | None
    test_share: str | None
    consumable_share: str | None
    readmission_31d: str | None
    admissions_per_person: str | None
    cost_change: str | None
    visits_change: str | None
    peer_percentile: int
    peer_p50: str | None
    peer_p90: str | None


class FocusOut(BaseModel):
    rank_no: int
    fixmedins_code: str
    hosp_tier: int
    stays: int
    early: str
    late: str
    growth: str
    ratio: str
    peer_ratio: str
    score: str


class IndicatorsOut(BaseModel):
    """A run's indicators at one level: yuan as text, shares and changes in percent as text."""

    run_no: str
    level: str
    periods: list[str]
    units: list[str]
    cost_per_visit: dict[str, list[str | None]]
    visits: dict[str, list[int | None]]
    latest: list[IndicatorRowOut]
    focus: list[FocusOut]


class ExportIn(ApiModel):
    """Export a region's settled data of a period into a new folder of the deployment's export folder.

    The folder name is generated; dates are checked by the service so that bad input answers the stable
    codes (ADMDVS_FORMAT, DATE_FORMAT, PERIOD, EXPORT_PERIOD_TOO_LONG)."""

    admdvs: str = Field(max_length=20)
    begin: str = Field(max_length=20)
    end: str = Field(max_length=20)


class ExportOut(BaseModel):
    name: str
    admdvs: str
    begin: str
    end: str
    rows: dict[str, int]
    at: datetime
    username: str
    available: bool
