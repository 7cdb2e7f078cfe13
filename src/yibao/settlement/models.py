"""Visits (就诊), fee lines (费用明细), settlements (结算) and the person's year ledger (年度累计)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yibao.core.db import Base, IdMixin, IdType, Money, UtcDateTime


class Visit(IdMixin, Base):
    """A visit (就诊): outpatient registration or an admission, with its diagnoses."""

    __tablename__ = "setl_visit"
    __table_args__ = (Index("ix_setl_visit_psn", "psn_no", "begntime"),)

    mdtrt_id: Mapped[str] = mapped_column(String(32), unique=True)
    psn_no: Mapped[str] = mapped_column(String(20))
    insutype: Mapped[str] = mapped_column(String(8))
    insu_admdvs: Mapped[str] = mapped_column(String(6), index=True)  # the person's pooling region
    fixmedins_code: Mapped[str] = mapped_column(String(32), index=True)
    dedc_level: Mapped[str] = mapped_column(String(1))  # 1 一级及以下 / 2 二级 / 3 三级
    med_type: Mapped[str] = mapped_column(String(8))
    begntime: Mapped[datetime] = mapped_column(UtcDateTime())
    endtime: Mapped[datetime | None] = mapped_column(UtcDateTime())
    diagnoses: Mapped[str] = mapped_column(Text)  # principal first, "|"-separated ICD-10 医保版 codes
    injury_cause: Mapped[str | None] = mapped_column(String(32))
    disease_code: Mapped[str | None] = mapped_column(String(32))  # registered chronic disease treated
    dept_code: Mapped[str | None] = mapped_column(String(32))
    dr_code: Mapped[str | None] = mapped_column(String(32))
    dscg_way: Mapped[str | None] = mapped_column(String(8))  # 离院方式 (national dictionary), at discharge
    status: Mapped[str] = mapped_column(String(16))  # open / discharged / settled / cancelled
    admission_counted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FeeLine(IdMixin, Base):
    """One uploaded fee line (费用明细); refund lines carry a negative quantity and name their original."""

    __tablename__ = "setl_fee_line"
    __table_args__ = (UniqueConstraint("visit_id", "feedetl_sn"),)

    visit_id: Mapped[int] = mapped_column(IdType, ForeignKey("setl_visit.id"), index=True)
    feedetl_sn: Mapped[str] = mapped_column(String(40))
    fee_ocur_time: Mapped[datetime] = mapped_column(UtcDateTime())
    medins_list_codg: Mapped[str] = mapped_column(String(64))
    medins_list_name: Mapped[str | None] = mapped_column(String(200))
    hilist_code: Mapped[str | None] = mapped_column(String(32))  # national code through the approved mapping
    cnt: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    pric: Mapped[Decimal] = mapped_column(Numeric(20, 4))  # fen per unit
    amount: Mapped[int] = mapped_column(Money)  # det_item_fee_sumamt, fen
    refund_of: Mapped[str | None] = mapped_column(String(40))
    bilg_dept_codg: Mapped[str | None] = mapped_column(
        String(30)
    )  # 开单科室 (the visit's department if absent)
    bilg_dr_codg: Mapped[str | None] = mapped_column(String(30))  # 开单医生 (the visit's doctor if absent)
    prd_days: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # 周期天数: days the line's supply lasts
    dscg_tkdrug_flag: Mapped[str | None] = mapped_column(String(3))  # 出院带药标志: 1 a discharge drug
    status: Mapped[str] = mapped_column(String(16))  # uploaded / settled / cancelled
    settlement_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("setl_settlement.id"))
    fulamt_ownpay: Mapped[int | None] = mapped_column(Money)
    overlmt_selfpay: Mapped[int | None] = mapped_column(Money)
    preselfpay: Mapped[int | None] = mapped_column(Money)
    inscp: Mapped[int | None] = mapped_column(Money)
    split_reason: Mapped[str | None] = mapped_column(String(255))


class Settlement(IdMixin, Base):
    """A settlement (结算) or its reversal (冲正), with the national breakdown columns in fen."""

    __tablename__ = "setl_settlement"
    __table_args__ = (Index("ix_setl_settlement_psn", "psn_no", "year"),)

    setl_id: Mapped[str] = mapped_column(String(32), unique=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    visit_id: Mapped[int] = mapped_column(IdType, ForeignKey("setl_visit.id"), index=True)
    psn_no: Mapped[str] = mapped_column(String(20))
    insutype: Mapped[str] = mapped_column(String(8))
    insu_admdvs: Mapped[str] = mapped_column(String(6), index=True)
    fixmedins_code: Mapped[str] = mapped_column(String(32), index=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # settlement / reversal
    mid_stay: Mapped[bool] = mapped_column(Boolean, default=False)  # 中途结算
    status: Mapped[str] = mapped_column(String(16))  # settled / reversed / reversal
    init_setl_id: Mapped[str | None] = mapped_column(String(32))  # the settlement a reversal undoes
    policy_version: Mapped[str | None] = mapped_column(String(64))  # the benefit policy version applied
    medfee_sumamt: Mapped[int] = mapped_column(Money)
    fulamt_ownpay_amt: Mapped[int] = mapped_column(Money)
    overlmt_selfpay: Mapped[int] = mapped_column(Money)
    preselfpay_amt: Mapped[int] = mapped_column(Money)
    inscp_scp_amt: Mapped[int] = mapped_column(Money)
    act_pay_dedc: Mapped[int] = mapped_column(Money)
    hifp_pay: Mapped[int] = mapped_column(Money)
    pool_prop_selfpay: Mapped[int] = mapped_column(Money)
    cvlserv_pay: Mapped[int] = mapped_column(Money)
    hifmi_pay: Mapped[int] = mapped_column(Money)
    maf_pay: Mapped[int] = mapped_column(Money)
    fund_pay_sumamt: Mapped[int] = mapped_column(Money)
    psn_part_amt: Mapped[int] = mapped_column(Money)
    acct_pay: Mapped[int] = mapped_column(Money)
    psn_cash_pay: Mapped[int] = mapped_column(Money)
    balc: Mapped[int] = mapped_column(Money)
    review_required: Mapped[bool] = mapped_column(Boolean, default=False)
    ledger_delta: Mapped[str] = mapped_column(Text)  # JSON {counter: fen}
    trace: Mapped[str] = mapped_column(Text)  # JSON [{key, amount, clause, text}]
    settled_at: Mapped[datetime] = mapped_column(UtcDateTime())
    settled_by: Mapped[str] = mapped_column(String(64))


class SettlementFund(IdMixin, Base):
    """One fund's payment in a settlement (基金支付明细, fund_pay_type)."""

    __tablename__ = "setl_settlement_fund"

    settlement_id: Mapped[int] = mapped_column(IdType, ForeignKey("setl_settlement.id"), index=True)
    fund_pay_type: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Money)


class PersonYear(IdMixin, Base):
    """The lock row of a person's settlement year: settlements of one person run one at a time."""

    __tablename__ = "setl_person_year"
    __table_args__ = (UniqueConstraint("psn_no", "insutype", "year"),)

    psn_no: Mapped[str] = mapped_column(String(20))
    insutype: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)


class LedgerCounter(IdMixin, Base):
    """One counter of the year ledger (年度累计): deductible used, caps used, admissions, layer totals."""

    __tablename__ = "setl_ledger_counter"
    __table_args__ = (UniqueConstraint("person_year_id", "counter"),)

    person_year_id: Mapped[int] = mapped_column(IdType, ForeignKey("setl_person_year.id"))
    counter: Mapped[str] = mapped_column(String(48))
    amount: Mapped[int] = mapped_column(Money)


class ChronicRegistration(IdMixin, Base):
    """A registered chronic or special outpatient disease (门诊慢特病登记) of a person, with its period."""

    __tablename__ = "setl_chronic_registration"
    __table_args__ = (Index("ix_setl_chronic_psn", "psn_no", "disease_code"),)

    psn_no: Mapped[str] = mapped_column(String(20))
    admdvs: Mapped[str] = mapped_column(String(6))
    disease_code: Mapped[str] = mapped_column(String(32))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())


class VisitProcedure(IdMixin, Base):
    """A procedure (手术操作, ICD-9-CM-3 医保版) of a visit as the discharge (出院办理) sent it; the main
    procedure has seq 1. Read by DRG grouping with the visit's diagnoses."""

    __tablename__ = "setl_visit_procedure"
    __table_args__ = (UniqueConstraint("visit_id", "seq"),)

    visit_id: Mapped[int] = mapped_column(IdType, ForeignKey("setl_visit.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 1 = the main procedure, then in the order sent
    code: Mapped[str] = mapped_column(String(30))  # oprn_oprt_code
    name: Mapped[str | None] = mapped_column(String(500))  # oprn_oprt_name as sent
    main: Mapped[bool] = mapped_column(Boolean, default=False)  # 主要手术标志
    oprn_date: Mapped[date | None] = mapped_column(Date)  # 手术操作日期
    oper_dr_code: Mapped[str | None] = mapped_column(String(30))  # 术者医师代码


class IdentityCheck(IdMixin, Base):
    """An identity check at a visit (人证核验): the face, fingerprint or card-and-ID check a hospital makes
    of the patient against the insured person; a mismatch is the evidence of impersonation (冒名就医)."""

    __tablename__ = "setl_identity_check"
    __table_args__ = (Index("ix_setl_identity_check_visit", "visit_id", "check_time"),)

    visit_id: Mapped[int] = mapped_column(IdType, ForeignKey("setl_visit.id"))
    check_time: Mapped[datetime] = mapped_column(UtcDateTime())
    method: Mapped[str] = mapped_column(String(2))  # 1 人脸识别 / 2 指纹识别 / 3 证卡核对
    matched: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
