"""Benefit policy (待遇政策) as versioned configuration: one document per region × scheme × period.

Amounts in a policy document are yuan (an integer or a string with at most two decimals) and are
held as integer fen once parsed; ratios are decimal strings such as "0.85". Every key is documented
in docs/policy.md with its Chinese term.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
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

    deductible_factor: Ratio = Field(
        Decimal(1), description='起付线系数（0–1，"0" 免起付线，"0.5" 降低50%）', examples=["0.5"]
    )  # e.g. "0.5": 起付线降低50%
    ratio_add: Points = Field(
        Decimal(0), description="支付比例增加（百分点，小数，-1–1）", examples=["0.05"]
    )  # e.g. "0.05": 报销比例提高5个百分点


class Band(_Doc):
    """A cost band (费用分段): ratio points added for the year's eligible amount up to `upto`."""

    upto: Yuan | None = Field(
        None, description="本段上限：年度累计起付线以上政策范围内金额（元），最后一段不写", examples=[30000]
    )  # cumulative eligible amount in the year; None = no upper bound
    ratio_add: Points = Field(Decimal(0), description="本段支付比例增加（百分点，小数）", examples=["0.02"])


class BenefitRule(_Doc):
    """The basic fund's rule for one treatment category (统筹基金待遇)."""

    category: Category = Field(
        description="待遇类别：inpatient 住院 / outpatient 普通门诊统筹 / chronic 门诊慢特病 / "
        "two_diseases 门诊两病 / maternity 生育",
        examples=["inpatient"],
    )
    med_types: list[str] = Field(
        min_length=1,
        description="医疗类别代码（字典 med_type），每个代码只能出现在一条待遇中",
        examples=[["2101"]],
    )  # med_type codes settled under this rule
    deductible: dict[DeductibleLevel, Yuan] = Field(
        default_factory=dict,
        description="起付线（元），按起付线医院等级 1 一级及以下 / 2 二级 / 3 三级；未列等级为0",
        examples=[{"1": 200, "2": 500, "3": 800}],
    )  # 起付线 by level
    deductible_scope: Literal["visit", "year"] = Field(
        "visit", description="起付线口径：visit 每次（住院）/ year 年度累计", examples=["year"]
    )  # 每次住院 / 年度累计
    repeat_factors: list[Ratio] = Field(
        default_factory=lambda: [Decimal(1)],
        description="本年第 n 次住院的起付线系数（第1次、第2次…，最后一个用于以后各次）",
        examples=[["1", "0.5"]],
    )  # nth admission: 1st, 2nd, …
    ratio: dict[DeductibleLevel, Ratio] = Field(
        default_factory=dict,
        description="统筹基金支付比例，按医院等级 1/2/3（定额支付时可不写）",
        examples=[{"1": "0.90", "2": "0.87", "3": "0.85"}],
    )  # 支付比例 by level
    retired_add: Points = Field(
        Decimal(0), description="退休人员支付比例增加（百分点，小数）", examples=["0.03"]
    )  # 退休人员比例增加
    bands: list[Band] = Field(
        default_factory=list, description="费用分段：按年度累计起付线以上政策范围内金额分段加减比例"
    )  # 分段比例 on the year's cumulative eligible amount
    group_tilts: dict[str, GroupTilt] = Field(
        default_factory=dict, description="特殊人群倾斜，键为人员身份类别代码（字典 psn_idet_type）"
    )  # by psn_idet_type code
    caps: list[str] = Field(
        default_factory=list,
        description="本待遇计入的年度封顶线名称（须在 caps 中定义）",
        examples=[["pool"]],
    )  # names of the yearly caps this rule draws from
    fixed_amount: Yuan | None = Field(
        None, description="定额支付（元），代替比例支付（如生育分娩按病种定额）", examples=[2000]
    )  # 定额支付 (e.g. delivery by disease), paid instead of the ratio
    registered_diseases: bool = Field(
        False, description="仅限参保人已登记的门诊慢特病病种", examples=[True]
    )  # 门慢特病: only for the person's registered diseases
    disease_limits: dict[str, Yuan] = Field(
        default_factory=dict, description="病种年度支付限额（元），键为病种代码", examples=[{"M03900": 3000}]
    )  # yearly limit per registered disease

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

    upto: Yuan | None = Field(
        None, description="本档上限：年度累计计算基数（起付线以上，元），最后一档不写", examples=[100000]
    )
    ratio: Ratio = Field(description="本档支付比例", examples=["0.60"])


class CivilServantLayer(_Doc):
    """Civil-servant subsidy (公务员医疗补助, cvlserv): a share of the personal policy-range burden."""

    ratio: Ratio = Field(description="补助比例（个人负担的政策范围内费用）", examples=["0.50"])
    yearly_cap: Yuan | None = Field(None, description="年度补助限额（元），不写为不限", examples=[20000])
    categories: list[Category] | None = Field(
        None, description="适用的待遇类别，不写为全部", examples=[["inpatient", "chronic"]]
    )  # the categories it applies to; None = all


class SeriousIllnessLayer(_Doc):
    """Large-amount or serious-illness insurance (大额/大病保险, hifmi)."""

    base: Literal["over_basic_cap", "personal_burden"] = Field(
        description="计算基数：over_basic_cap 超基本医保封顶线部分（大额）/ "
        "personal_burden 个人负担的政策范围内费用（大病）",
        examples=["personal_burden"],
    )  # 超基本封顶部分 / 个人负担的政策范围内费用
    deductible: Yuan = Field(
        0, description="年度起付线（元），按年度累计基数", examples=[15000]
    )  # yearly, on the cumulative base
    tiers: list[Tier] = Field(min_length=1, description="分档支付比例（按年度累计基数）")
    yearly_cap: Yuan | None = Field(None, description="年度最高支付限额（元），不写为不限", examples=[250000])
    group_tilts: dict[str, GroupTilt] = Field(
        default_factory=dict, description="特殊人群倾斜（起付线系数、比例增加），键为人员身份类别代码"
    )
    fund_pay_type: str = Field(
        "390200",
        description="基金支付类型代码（字典 fund_pay_type），如 330100 大额 / 390200 大病",
        examples=["390200"],
    )
    categories: list[Category] | None = Field(
        None, description="适用的待遇类别，不写为全部", examples=[["inpatient", "chronic"]]
    )  # the categories it applies to; None = all

    @model_validator(mode="after")
    def _open_last_tier(self) -> SeriousIllnessLayer:
        if self.tiers[-1].upto is not None:
            raise ValueError("tiers 的最后一档不能有 upto")
        return self


class AssistanceGroup(_Doc):
    """Medical assistance (医疗救助) for one assistance group."""

    ratio: Ratio = Field(description="救助比例（剩余个人负担的政策范围内费用）", examples=["0.70"])
    yearly_limit: Yuan | None = Field(None, description="年度救助限额（元），不写为不限", examples=[30000])


class AssistanceLayer(_Doc):
    """Medical assistance (医疗救助, maf) by assistance group (psn_idet_type code)."""

    groups: dict[str, AssistanceGroup] = Field(
        description="救助对象，键为人员身份类别代码（如 2304 特困、2303 低保）"
    )
    include_preselfpay: bool = Field(
        False, description="救助基数是否含乙类先行自付"
    )  # also covers 乙类先行自付
    categories: list[Category] | None = Field(
        None, description="适用的待遇类别，不写为全部", examples=[["inpatient", "chronic"]]
    )  # the categories it applies to; None = all


class AccountRule(_Doc):
    """What the personal account (个人账户) may pay of the personal part."""

    pays_fulamt: bool = Field(False, description="个人账户可支付全自费部分")  # 全自费
    pays_overlmt: bool = Field(False, description="个人账户可支付超限价自付部分")  # 超限价自付
    pays_preselfpay: bool = Field(True, description="个人账户可支付乙类先行自付部分")  # 先行自付
    pays_inscp: bool = Field(
        True, description="个人账户可支付政策范围内个人负担（起付线、自付比例部分）"
    )  # 政策范围内个人负担


class Exclusions(_Doc):
    """What the fund does not pay (不予支付范围)."""

    diagnosis_prefixes: dict[str, str] = Field(
        default_factory=dict,
        description="不予支付的主诊断编码前缀（ICD-10 医保版）→ 原因",
        examples=[{"N97": "不孕不育治疗"}],
    )  # ICD prefix → reason
    injury_med_types: list[str] = Field(
        default_factory=lambda: ["22", "9903"],
        description="须登记受伤原因的医疗类别（外伤住院 22、意外伤害门诊 9903）",
        examples=[["22", "9903"]],
    )  # 外伤 visits need a cause
    injury_causes: dict[str, bool] = Field(
        default_factory=dict,
        description="受伤原因 → 是否属于医保支付范围（true 支付 / false 不予支付）",
        examples=[{"无第三方责任意外": True, "打架斗殴": False}],
    )  # cause → covered?


class Policy(_Doc):
    """A benefit policy version for one pooling region and scheme (险种)."""

    admdvs: str = Field(pattern=r"^\d{6}$", description="统筹区编码（6位医保区划）", examples=["439901"])
    insutype: str = Field(description="险种类型（字典 insutype）：310 职工 / 390 城乡居民", examples=["310"])
    name: str = Field(description="政策名称", examples=["示范市职工基本医疗保险待遇政策（2024）"])
    version: str = Field(description="版本号（同一统筹区和险种内唯一）", examples=["2024"])
    begin: date = Field(description="生效日期（首个有效日）", examples=["2024-01-01"])
    end: date | None = Field(
        None, description="失效日期（最后有效日，含当日），不写为长期", examples=["2024-12-31"]
    )
    hifp_fund_pay_type: str = Field(
        description="统筹基金的基金支付类型代码（310100 职工统筹 / 390100 居民统筹）", examples=["310100"]
    )  # fund_pay_type code of the basic fund (310100 / 390100)
    caps: dict[str, Yuan] = Field(
        default_factory=dict,
        description="年度封顶线（元），按名称；待遇通过 caps 引用",
        examples=[{"pool": 150000}],
    )  # 年度封顶线 by name
    default_selfpay_ratio: Ratio = Field(
        Decimal("0.10"), description="乙类先行自付比例（目录未给出时）", examples=["0.10"]
    )  # 乙类先行自付 when the catalog gives none
    benefits: list[BenefitRule] = Field(min_length=1, description="统筹基金待遇，按待遇类别")
    cvlserv: CivilServantLayer | None = Field(None, description="公务员医疗补助")
    hifmi: SeriousIllnessLayer | None = Field(None, description="大额医疗费用补助（职工）/ 大病保险（居民）")
    maf: AssistanceLayer | None = Field(None, description="医疗救助")
    account: AccountRule | None = Field(None, description="个人账户支付范围（职工）；不写为无个人账户")
    exclusions: Exclusions = Field(default_factory=Exclusions, description="不予支付范围")
    contribution_subsidies: dict[str, Ratio] = Field(
        default_factory=dict,
        description="参保资助：特殊人群（psn_idet_type）→ 个人缴费由财政代缴的比例，如 2304 特困 1 全额资助",
    )

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


def subsidise(individual_fen: int, subsidy_fen: int, ratio: Decimal) -> tuple[int, int]:
    """Move `ratio` of the individual contribution to the government subsidy (参保资助); the sum is kept."""
    moved = int((Decimal(individual_fen) * ratio).to_integral_value(rounding=ROUND_HALF_UP))
    return individual_fen - moved, subsidy_fen + moved
