"""Benefit policy (待遇政策) as versioned configuration: one document per region × scheme × period.

Amounts in a policy document are yuan (an integer or a string with at most two decimals) and are
held as integer fen once parsed; ratios are decimal strings such as "0.85". Every key is documented
in docs/policy.md with its Chinese term.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from yibao.domain.errors import pydantic_errors
from yibao.domain.money import Fen, yuan_to_fen


def _yuan(value: Any) -> Fen:
    if isinstance(value, bool | float):
        raise ValueError("金额须写为整数或两位小数的字符串（元），不接受浮点数")
    return yuan_to_fen(value)


def _ratio(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("比例须为 0 到 1 之间的小数")
    ratio = Decimal(str(value))
    if not Decimal(0) <= ratio <= Decimal(1):
        raise ValueError(f"比例须在 0 到 1 之间，实际为 {value}")
    return ratio


def _points(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("比例调整须为 -1 到 1 之间的小数")
    points = Decimal(str(value))
    if not Decimal(-1) <= points <= Decimal(1):
        raise ValueError(f"比例调整须在 -1 到 1 之间，实际为 {value}")
    return points


Yuan = Annotated[int, BeforeValidator(_yuan)]
Ratio = Annotated[Decimal, BeforeValidator(_ratio)]
Points = Annotated[Decimal, BeforeValidator(_points)]
DeductibleLevel = Literal["1", "2", "3"]  # dictionary dedc_hosp_lv: 一级及以下 / 二级 / 三级


class Category(StrEnum):
    """Treatment categories a basic-fund rule applies to (待遇类别)."""

    INPATIENT = "inpatient"  # 住院
    OUTPATIENT = "outpatient"  # 普通门诊统筹
    CHRONIC = "chronic"  # 门诊慢特病
    TWO_DISEASES = "two_diseases"  # 门诊两病（高血压、糖尿病）
    MATERNITY = "maternity"  # 生育


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupTilt(_Doc):
    """A special group's tilt (倾斜): deductible factor and ratio points added."""

    deductible_factor: Ratio = Decimal(1)  # e.g. "0.5": 起付线降低50%
    ratio_add: Points = Decimal(0)  # e.g. "0.05": 报销比例提高5个百分点


class Band(_Doc):
    """A cost band (费用分段): ratio points added for the year's eligible amount up to `upto`."""

    upto: Yuan | None = None  # cumulative eligible amount in the year; None = no upper bound
    ratio_add: Points = Decimal(0)


class BenefitRule(_Doc):
    """The basic fund's rule for one treatment category (统筹基金待遇)."""

    category: Category
    med_types: list[str] = Field(min_length=1)  # med_type codes settled under this rule
    deductible: dict[DeductibleLevel, Yuan] = Field(default_factory=dict)  # 起付线 by level
    deductible_scope: Literal["visit", "year"] = "visit"  # 每次住院 / 年度累计
    repeat_factors: list[Ratio] = Field(default_factory=lambda: [Decimal(1)])  # nth admission: 1st, 2nd, …
    ratio: dict[DeductibleLevel, Ratio]  # 支付比例 by level
    retired_add: Points = Decimal(0)  # 退休人员比例增加
    bands: list[Band] = Field(default_factory=list)  # 分段比例 on the year's cumulative eligible amount
    group_tilts: dict[str, GroupTilt] = Field(default_factory=dict)  # by psn_idet_type code
    caps: list[str] = Field(default_factory=list)  # names of the yearly caps this rule draws from
    fixed_amount: Yuan | None = None  # 定额支付 (e.g. delivery by disease), paid instead of the ratio
    registered_diseases: bool = False  # 门慢特病: only for the person's registered diseases
    disease_limits: dict[str, Yuan] = Field(default_factory=dict)  # yearly limit per registered disease

    @model_validator(mode="after")
    def _levels(self) -> BenefitRule:
        missing = {"1", "2", "3"} - set(self.ratio)
        if missing and self.fixed_amount is None:
            raise ValueError(f"ratio 必须给出一/二/三级（1/2/3）全部医院等级，缺少 {sorted(missing)}")
        if self.bands and self.bands[-1].upto is not None:
            raise ValueError("bands 的最后一段不能有 upto（须覆盖以上全部金额）")
        return self


class Tier(_Doc):
    """A tier of a later layer (分段): the ratio for the yearly base up to `upto`."""

    upto: Yuan | None = None
    ratio: Ratio


class CivilServantLayer(_Doc):
    """Civil-servant subsidy (公务员医疗补助, cvlserv): a share of the personal policy-range burden."""

    ratio: Ratio
    yearly_cap: Yuan | None = None
    categories: list[Category] | None = None  # the categories it applies to; None = all


class SeriousIllnessLayer(_Doc):
    """Large-amount or serious-illness insurance (大额/大病保险, hifmi)."""

    base: Literal["over_basic_cap", "personal_burden"]  # 超基本封顶部分 / 个人负担的政策范围内费用
    deductible: Yuan = 0  # yearly, on the cumulative base
    tiers: list[Tier] = Field(min_length=1)
    yearly_cap: Yuan | None = None
    group_tilts: dict[str, GroupTilt] = Field(default_factory=dict)
    fund_pay_type: str = "390200"
    categories: list[Category] | None = None  # the categories it applies to; None = all

    @model_validator(mode="after")
    def _open_last_tier(self) -> SeriousIllnessLayer:
        if self.tiers[-1].upto is not None:
            raise ValueError("tiers 的最后一档不能有 upto")
        return self


class AssistanceGroup(_Doc):
    """Medical assistance (医疗救助) for one assistance group."""

    ratio: Ratio
    yearly_limit: Yuan | None = None


class AssistanceLayer(_Doc):
    """Medical assistance (医疗救助, maf) by assistance group (psn_idet_type code)."""

    groups: dict[str, AssistanceGroup]
    include_preselfpay: bool = False  # also covers 乙类先行自付
    categories: list[Category] | None = None  # the categories it applies to; None = all


class AccountRule(_Doc):
    """What the personal account (个人账户) may pay of the personal part."""

    pays_fulamt: bool = False  # 全自费
    pays_overlmt: bool = False  # 超限价自付
    pays_preselfpay: bool = True  # 先行自付
    pays_inscp: bool = True  # 政策范围内个人负担


class Exclusions(_Doc):
    """What the fund does not pay (不予支付范围)."""

    diagnosis_prefixes: dict[str, str] = Field(default_factory=dict)  # ICD prefix → reason
    injury_med_types: list[str] = Field(default_factory=lambda: ["22", "9903"])  # 外伤 visits need a cause
    injury_causes: dict[str, bool] = Field(default_factory=dict)  # cause → covered?


class Policy(_Doc):
    """A benefit policy version for one pooling region and scheme (险种)."""

    admdvs: str = Field(pattern=r"^\d{6}$")
    insutype: str
    name: str
    version: str
    begin: date
    end: date | None = None
    hifp_fund_pay_type: str  # fund_pay_type code of the basic fund (310100 / 390100)
    caps: dict[str, Yuan] = Field(default_factory=dict)  # 年度封顶线 by name
    default_selfpay_ratio: Ratio = Decimal("0.10")  # 乙类先行自付 when the catalog gives none
    benefits: list[BenefitRule] = Field(min_length=1)
    cvlserv: CivilServantLayer | None = None
    hifmi: SeriousIllnessLayer | None = None
    maf: AssistanceLayer | None = None
    account: AccountRule | None = None
    exclusions: Exclusions = Field(default_factory=Exclusions)

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        if self.end is not None and self.end < self.begin:
            raise ValueError("end 不能早于 begin")
        seen: dict[str, str] = {}
        for rule in self.benefits:
            for cap in rule.caps:
                if cap not in self.caps:
                    raise ValueError(f"benefits[{rule.category}] 引用了未定义的封顶线 {cap!r}")
            for med_type in rule.med_types:
                if med_type in seen:
                    raise ValueError(f"med_type {med_type} 同时出现在 {seen[med_type]} 和 {rule.category}")
                seen[med_type] = rule.category
        return self

    def layer_applies(
        self, layer: CivilServantLayer | SeriousIllnessLayer | AssistanceLayer | None, category: Category
    ) -> bool:
        """Whether a later layer is configured and covers bills of `category`."""
        return layer is not None and (layer.categories is None or category in layer.categories)

    def rule_for(self, med_type: str) -> BenefitRule | None:
        """The basic-fund rule that settles visits of `med_type`, if any."""
        for rule in self.benefits:
            if med_type in rule.med_types:
                return rule
        return None


def parse_policy(document: dict[str, Any]) -> Policy:
    """Check a policy document; every broken rule is reported with its key path (Chinese)."""
    try:
        return Policy.model_validate(document)
    except ValidationError as exc:
        raise pydantic_errors(list(exc.errors()), code="POLICY_INVALID", label="政策文件") from exc


def policy_json_schema() -> dict[str, Any]:
    """The JSON Schema of a policy document."""
    return Policy.model_json_schema()
