"""API payloads for the catalogs and code mapping. Money is integer fen (分) in the API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, computed_field, field_validator

from yibao.core.schemas import ApiModel
from yibao.domain import catalog as rules
from yibao.domain.money import fen_to_yuan


class RestrictionsIn(ApiModel):
    """Payment restrictions (限定支付范围); empty fields restrict nothing."""

    gend: str | None = Field(default=None, description="限定性别 gend：1男 2女")
    age_min: int | None = Field(default=None, description="最小年龄（周岁，含）")
    age_max: int | None = Field(default=None, description="最大年龄（周岁，含）")
    hosp_levels: list[str] = Field(default_factory=list, description="限定医院等级：1一级及以下 2二级 3三级")
    inpatient_only: bool = Field(default=False, description="限住院")
    benefit_only: str | None = Field(default=None, description="限 work_injury 工伤 / maternity 生育")
    insutypes: list[str] = Field(default_factory=list, description="限定险种 insutype 代码")
    max_days: int | None = Field(default=None, description="单次处方最多天数")
    indication: str | None = Field(default=None, description="限定支付范围（文字）")


class _ItemBody(ApiModel):
    name: str = Field(description="名称", examples=["地塞米松磷酸钠注射液"])
    list_type: str | None = Field(default=None, description="目录类别 list_type（默认按目录类型）")
    begin: date = Field(description="开始日期（首个有效日）")
    end: date | None = Field(default=None, description="结束日期（最后有效日，含），空为长期")
    chrgitm_lv: str = Field(description="收费项目等级 01甲类 02乙类 03丙类", examples=["02"])
    selfpay_ratio: str | None = Field(
        default=None,
        description="先行自付比例：小数（0.10）或百分数（10%）字符串；乙类必填",
        examples=["0.10"],
    )
    price_cap: int | None = Field(default=None, ge=0, description="最高限价（分）")
    price_cap_lv1: int | None = Field(default=None, ge=0, description="一级及以下医院限价（分）")
    price_cap_lv2: int | None = Field(default=None, ge=0, description="二级医院限价（分）")
    price_cap_lv3: int | None = Field(default=None, ge=0, description="三级医院限价（分）")
    generic_name: str | None = Field(default=None, description="通用名（药品）")
    dosform: str | None = Field(default=None, description="剂型 drug_dosform（药品）")
    spec: str | None = Field(default=None, description="规格")
    manufacturer: str | None = Field(default=None, description="生产企业")
    unit: str | None = Field(default=None, description="计价单位")
    med_chrgitm_type: str | None = Field(default=None, description="医疗收费项目类别（医疗服务项目必填）")
    high_value: bool = Field(default=False, description="高值耗材")
    admdvs: str | None = Field(default=None, description="地方目录的统筹区；空为全国/全省目录")
    restrictions: RestrictionsIn = Field(default_factory=RestrictionsIn)

    def to_fields(self) -> dict[str, object]:
        """The body as the catalog rules read it (money back to yuan strings, restrictions flattened)."""
        data = self.model_dump(exclude={"restrictions"})
        for name in ("price_cap", "price_cap_lv1", "price_cap_lv2", "price_cap_lv3"):
            if data.get(name) is not None:
                data[name] = fen_to_yuan(data[name])
        data["high_value"] = "1" if self.high_value else "0"
        r = self.restrictions
        data.update(
            restr_gend=r.gend,
            restr_age_min=r.age_min,
            restr_age_max=r.age_max,
            restr_hosp_levels=r.hosp_levels,
            restr_inpatient_only="1" if r.inpatient_only else "0",
            restr_benefit_only=r.benefit_only,
            restr_insutypes=r.insutypes,
            restr_max_days=r.max_days,
            restr_indication=r.indication,
        )
        return data


class ItemIn(_ItemBody):
    """A new national code with its first version."""

    kind: str = Field(description="目录类型 drug/service/consumable/facility", examples=["drug"])
    code: str = Field(description="国家编码", examples=["XA01ABD075A002010100483"])


class VersionIn(_ItemBody):
    """A new version of a known code (变更: the version in force on `begin` is closed the day before)."""

    kind: str | None = Field(default=None, description="目录类型（可省略，须与已有版本一致）")


class RestrictionsOut(ApiModel):
    gend: str | None
    age_min: int | None
    age_max: int | None
    hosp_levels: list[str]
    inpatient_only: bool
    benefit_only: str | None
    insutypes: list[str]
    max_days: int | None
    indication: str | None

    @field_validator("hosp_levels", "insutypes", mode="before")
    @classmethod
    def _sorted(cls, value: object) -> object:
        return sorted(value) if isinstance(value, set | frozenset | list | tuple) else value


class ItemOut(ApiModel):
    id: int
    code: str
    kind: str
    list_type: str
    name: str
    admdvs: str | None
    begin: date
    end: date | None
    chrgitm_lv: str
    selfpay_bp: int = Field(description="先行自付比例（万分比）")
    price_cap: int | None = Field(description="最高限价（分）")
    price_cap_lv1: int | None
    price_cap_lv2: int | None
    price_cap_lv3: int | None
    generic_name: str | None
    dosform: str | None
    spec: str | None
    manufacturer: str | None
    unit: str | None
    med_chrgitm_type: str | None
    high_value: bool
    restrictions: RestrictionsOut

    @computed_field  # type: ignore[prop-decorator]
    @property
    def selfpay_ratio(self) -> str:
        """先行自付比例（小数）."""
        return rules.ratio_fraction(self.selfpay_bp)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def restriction_text(self) -> list[str]:
        """限定支付范围（中文）."""
        r = self.restrictions
        return rules.describe_restrictions(
            rules.Restrictions(
                gend=r.gend,
                age_min=r.age_min,
                age_max=r.age_max,
                hosp_levels=frozenset(r.hosp_levels),
                inpatient_only=r.inpatient_only,
                benefit_only=r.benefit_only,
                insutypes=frozenset(r.insutypes),
                max_days=r.max_days,
                indication=r.indication,
            )
        )


class ImportOut(ApiModel):
    kind: str
    created: int
    closed: int
    codes: list[str]


class MappingIn(ApiModel):
    fixmedins_code: str = Field(description="定点医药机构编码", examples=["H43990100001"])
    medins_list_codg: str = Field(description="医药机构目录编码（本院编码）", examples=["YP-0001"])
    medins_list_name: str = Field(description="医药机构目录名称", examples=["地塞米松针 5mg"])
    hilist_code: str = Field(description="医保目录编码（国家编码）", examples=["XA01ABD075A002010100483"])
    begin: date = Field(description="开始日期")
    end: date | None = Field(default=None, description="结束日期（含），空为长期")


class RejectIn(ApiModel):
    reason: str = Field(description="驳回原因")


class RevokeIn(ApiModel):
    end: date = Field(description="最后有效日（含）")
    reason: str | None = Field(default=None, description="撤销原因")


class MappingOut(ApiModel):
    id: int
    fixmedins_code: str
    admdvs: str
    medins_list_codg: str
    medins_list_name: str
    hilist_code: str
    kind: str
    list_type: str
    begin: date
    end: date | None
    status: str
    reason: str | None
    submitted_by: str
    submitted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
