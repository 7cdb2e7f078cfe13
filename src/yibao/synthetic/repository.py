"""Queries of the demo's summary: insured, contributions, settlements by fund, scheme and institution."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from yibao.enrolment.models import Contribution, Person, Relation
from yibao.institutions.models import Institution
from yibao.settlement.models import Settlement, SettlementFund, Visit

BASIC = ("310", "390")


class SyntheticRepository:
    """Reads the registries and settlements of one region (by business codes)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def basic_relations(self, psn_nos: list[str]) -> dict[str, int]:
        """The id of each person's basic-insurance relation (职工 310 / 居民 390)."""
        rows = self.session.execute(
            select(Relation.psn_no, Relation.id).where(
                Relation.psn_no.in_(psn_nos), Relation.insutype.in_(BASIC)
            )
        )
        return {psn_no: rid for psn_no, rid in rows}

    def insured(self, admdvs: str) -> dict[str, int]:
        """Persons with a basic relation, by insutype."""
        rows = self.session.execute(
            select(Relation.insutype, func.count(func.distinct(Relation.psn_no)))
            .where(Relation.admdvs == admdvs, Relation.insutype.in_(BASIC))
            .group_by(Relation.insutype)
        )
        return {insutype: int(n) for insutype, n in rows}

    def persons(self, admdvs: str) -> int:
        return int(self.session.scalar(select(func.count(Person.id)).where(Person.admdvs == admdvs)) or 0)

    def contributions(self, admdvs: str) -> dict[str, dict[str, int]]:
        """Paid contributions by insutype: unit, individual and subsidy parts in fen."""
        rows = self.session.execute(
            select(
                Contribution.insutype,
                func.sum(Contribution.unit_fen),
                func.sum(Contribution.individual_fen),
                func.sum(Contribution.subsidy_fen),
            )
            .where(Contribution.admdvs == admdvs, Contribution.paid_on.is_not(None))
            .group_by(Contribution.insutype)
        )
        return {
            insutype: {"unit": int(u or 0), "individual": int(i or 0), "subsidy": int(s or 0)}
            for insutype, u, i, s in rows
        }

    def settlement_totals(self, admdvs: str) -> dict[str, dict[str, int]]:
        """Sums of the settled (not reversed) settlements by insutype."""
        columns = (
            "medfee_sumamt",
            "fulamt_ownpay_amt",
            "overlmt_selfpay",
            "preselfpay_amt",
            "inscp_scp_amt",
            "act_pay_dedc",
            "hifp_pay",
            "cvlserv_pay",
            "hifmi_pay",
            "maf_pay",
            "fund_pay_sumamt",
            "acct_pay",
            "psn_cash_pay",
        )
        rows = self.session.execute(
            select(
                Settlement.insutype,
                func.count(Settlement.id),
                *(func.sum(getattr(Settlement, c)) for c in columns),
            )
            .where(Settlement.insu_admdvs == admdvs, Settlement.kind == "settlement")
            .group_by(Settlement.insutype)
        )
        out: dict[str, dict[str, int]] = {}
        for row in rows:
            out[row[0]] = {
                "count": int(row[1]),
                **{c: int(v or 0) for c, v in zip(columns, row[2:], strict=True)},
            }
        return out

    def settlement_totals_by_setting(self, admdvs: str) -> dict[tuple[str, str], dict[str, int]]:
        """Count, medical cost, policy-range cost, pooled-fund and fund payments of the settled
        settlements by (insutype, setting): 住院 inpatient (med_type 2xxx and 生育住院 52) or 门诊
        outpatient (every other medical type: 普通门诊, 门诊慢特病, 药店购药 …)."""
        setting = case(
            (or_(Visit.med_type.like("2%"), Visit.med_type == "52"), "inpatient"), else_="outpatient"
        ).label("setting")
        columns = ("medfee_sumamt", "inscp_scp_amt", "hifp_pay", "fund_pay_sumamt")
        rows = self.session.execute(
            select(
                Settlement.insutype,
                setting,
                func.count(Settlement.id),
                *(func.sum(getattr(Settlement, c)) for c in columns),
            )
            .join(Visit, Visit.id == Settlement.visit_id)
            .where(Settlement.insu_admdvs == admdvs, Settlement.kind == "settlement")
            .group_by(Settlement.insutype, setting)
        )
        return {
            (row[0], row[1]): {
                "count": int(row[2]),
                **{c: int(v or 0) for c, v in zip(columns, row[3:], strict=True)},
            }
            for row in rows
        }

    def funds(self, admdvs: str) -> dict[str, int]:
        """Fund payments (基金支付) by fund_pay_type."""
        rows = self.session.execute(
            select(SettlementFund.fund_pay_type, func.sum(SettlementFund.amount))
            .join(Settlement, Settlement.id == SettlementFund.settlement_id)
            .where(Settlement.insu_admdvs == admdvs, Settlement.kind == "settlement")
            .group_by(SettlementFund.fund_pay_type)
        )
        return {code: int(amount or 0) for code, amount in rows}

    def top_institutions(self, admdvs: str, limit: int = 10) -> list[dict[str, Any]]:
        """Institutions by total medical cost (医疗总费用)."""
        rows = self.session.execute(
            select(
                Settlement.fixmedins_code,
                Institution.name,
                func.count(Settlement.id),
                func.sum(Settlement.medfee_sumamt),
                func.sum(Settlement.fund_pay_sumamt),
            )
            .join(Institution, Institution.fixmedins_code == Settlement.fixmedins_code)
            .where(Settlement.insu_admdvs == admdvs, Settlement.kind == "settlement")
            .group_by(Settlement.fixmedins_code, Institution.name)
            .order_by(func.sum(Settlement.medfee_sumamt).desc())
            .limit(limit)
        )
        return [
            {"code": code, "name": name, "count": int(n), "medfee": int(fee or 0), "fund": int(fund or 0)}
            for code, name, n, fee, fund in rows
        ]
