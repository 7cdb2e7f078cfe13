"""The generator's knobs (生成参数): a bad knob is refused before any work, naming the option."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from yibao.domain.errors import BusinessError, FieldError, invalid

# Abuse families injected on purpose (WAREHOUSE.md vocabulary), with their default rates.
# Line families: the share of eligible fee lines (or visits for the visit-borne ones) carrying the abuse;
# provider_outlier: the share of hospitals whose admissions and cost per stay grow fast; frequent_visits
# (person scope) and low_standard_admission (doctor scope) as noted below.
DEFAULT_RATES: dict[str, float] = {
    "sex_restricted": 0.002,
    "age_restricted": 0.002,
    "level_restricted": 0.002,
    "insurance_type_restricted": 0.001,
    # Outpatient visits billing a drug paid for inpatients only (知识点第四批 限定就医方式).
    "treatment_mode_restricted": 0.002,
    "duplicate_charge": 0.01,
    # Stays with two operations of one group (第二批) on one day, the second not billed at half its price.
    "unbundled_charge": 0.02,
    "over_price_cap": 0.003,
    "excess_quantity": 0.005,
    # Chronic visits followed, while the 30-day supply lasts, by a refill of a drug at another institution.
    "repeat_prescription": 0.01,
    "discharge_medication": 0.03,
    "frequency_exceeded": 0.02,
    "split_admission": 0.03,
    "bed_hanging": 0.02,
    "impersonation": 0.003,
    "pharmacy_goods": 0.03,
    "dialysis_overcount": 0.1,
    "upcoding": 0.03,
    # Special-drug visits breaking the registration (五定: drug, hospital, department, doctor, dose).
    "special_drug_rules": 0.1,
    # Stays whose course-limited drug or service (第六批 / 第八批-3) is given again after the course.
    "course_restricted": 0.01,
    # Outpatient visits with a diagnosis of the other sex, perinatal after age 1 or obstetric outside 12–55.
    "diagnosis_mismatch": 0.002,
    # Stays with a test billed outside the stay. Off by default: yibao's settlement refuses such a line
    # (FEE_TIME_RANGE), so a region settled through it (the demo) cannot hold one.
    "data_quality": 0.0,
    "provider_outlier": 0.1,
    # Person scope: the share of person-months with a burst of outpatient visits or pharmacy purchases.
    "frequent_visits": 0.0002,
    # Doctor scope: the share of hospital internists and paediatricians admitting mild cases every month.
    "low_standard_admission": 0.01,
}
FAMILIES = tuple(DEFAULT_RATES)
FORMATS = ("parquet", "csv")
MAX_PERSONS = 50_000_000
MAX_MONTHS = 120
MAX_OUTLIERS = 1000


@dataclass(frozen=True)
class Knobs:
    """Everything that decides a synthetic region; the same knobs and seed give the same files."""

    persons: int = 20_000
    months: int = 12
    seed: int = 1
    admdvs: str = "439901"
    start_year: int = 2024
    visit_scale: float = 1.0  # multiplies every visit rate (the demo lowers it to stay inside its time)
    rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RATES))
    chunk_persons: int = 50_000  # persons per chunk (bounded memory)
    # provider_outlier: at least this many hospitals grow fast (beyond the rate's share), so the AUC of the
    # outlier score ranks several injected institutions, not one.
    outliers: int = 0

    def rate(self, family: str) -> float:
        return self.rates.get(family, 0.0)


def check_knobs(
    *,
    persons: int,
    months: int,
    seed: int,
    admdvs: str,
    visit_scale: float = 1.0,
    rates: dict[str, float] | None = None,
    start_year: int = 2024,
    outliers: int = 0,
) -> Knobs:
    """Refuse impossible knobs (负数规模、比例超出 [0,1]、统筹区编码不是6位) with the option named."""
    errors: list[FieldError] = []
    if persons <= 0 or persons > MAX_PERSONS:
        errors.append(FieldError("--persons", "KNOB_RANGE", f"选项 --persons 必须在 1 到 {MAX_PERSONS} 之间"))
    if months <= 0 or months > MAX_MONTHS:
        errors.append(FieldError("--months", "KNOB_RANGE", f"选项 --months 必须在 1 到 {MAX_MONTHS} 之间"))
    if seed < 0:
        errors.append(FieldError("--seed", "KNOB_RANGE", "选项 --seed 不能为负数"))
    if not re.fullmatch(r"\d{6}", admdvs or ""):
        errors.append(
            FieldError("--admdvs", "KNOB_FORMAT", f"选项 --admdvs 统筹区编码必须是6位数字：{admdvs!r}")
        )
    if not 0 < visit_scale <= 10:
        errors.append(FieldError("--visit-scale", "KNOB_RANGE", "选项 --visit-scale 必须大于0且不超过10"))
    if not 0 <= outliers <= MAX_OUTLIERS:
        errors.append(
            FieldError("--outliers", "KNOB_RANGE", f"选项 --outliers 必须在 0 到 {MAX_OUTLIERS} 之间")
        )
    merged = dict(DEFAULT_RATES)
    for family, value in (rates or {}).items():
        option = f"--rate-{family.replace('_', '-')}"
        if family not in DEFAULT_RATES:
            errors.append(FieldError(option, "KNOB_UNKNOWN", f"选项 {option} 不是已知的违规类别"))
        elif not 0.0 <= value <= 1.0:
            errors.append(FieldError(option, "KNOB_RANGE", f"选项 {option} 比例必须在 0 到 1 之间：{value}"))
        else:
            merged[family] = value
    if errors:
        first = errors[0]
        raise BusinessError(code="KNOB_INVALID", message=first.message, field=first.field, errors=errors)
    return Knobs(
        persons=persons,
        months=months,
        seed=seed,
        admdvs=admdvs,
        start_year=start_year,
        visit_scale=visit_scale,
        rates=merged,
        outliers=outliers,
    )


def check_out_dir(out: Path, *, option: str = "--out") -> Path:
    """The output folder, created if missing; refused when it cannot be written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise invalid("KNOB_OUT_DIR", option, f"选项 {option} 目录 {out} 无法创建：{exc.strerror}") from exc
    if not out.is_dir() or not os.access(out, os.W_OK | os.X_OK):
        raise invalid("KNOB_OUT_DIR", option, f"选项 {option} 目录 {out} 不可写")
    return out
