"""Insurance relations (duplicate enrolment, supplementary schemes, states) and contributions
(arrears, back-payment and the waiting period, contribution months, account credits)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.enrolment.helpers import enrol, relation_id
from tests.factories import add_region, make_actor
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Actor, Role
from yibao.domain.enrolment import WaitingPolicy
from yibao.domain.errors import BusinessError
from yibao.enrolment import service
from yibao.enrolment.models import Contribution, Relation


@pytest.fixture
def regions(container: Container) -> Container:
    add_region(container, "439901", "甲县")
    add_region(container, "439902", "乙县")
    return container


# ------------------------------------------------------------------------------------------ relations


def test_duplicate_basic_enrolment_in_another_region_is_refused_naming_the_relation(
    regions: Container, admin: Actor
) -> None:
    person = enrol(regions, admdvs="439901", insutype="310", begin=date(2024, 1, 1))
    with regions.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.add_relation(
            uow=uow,
            psn_no=person.psn_no,
            insutype="390",
            psn_type="15",
            admdvs="439902",
            begin=date(2024, 7, 1),
        )
    error = info.value
    assert (error.code, error.field) == ("ENROL_DUPLICATE", "insutype")
    assert "重复参保" in error.message
    for part in (person.psn_no, "310", "439901", "2024-01-01—长期"):
        assert part in error.message
    with regions.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Relation)) == 1


def test_basic_relation_after_the_previous_one_ended_is_accepted(regions: Container, admin: Actor) -> None:
    person = enrol(regions, insutype="390", psn_type="15", begin=date(2023, 1, 1))
    rid = relation_id(regions, person.psn_no, "390")
    with regions.uow(admin) as uow:
        ended = service.change_relation_status(
            uow=uow, psn_no=person.psn_no, relation_id=rid, status="ended", end=date(2024, 5, 31)
        )
        assert ended.status == "ended" and ended.end == date(2024, 5, 31)
        new = service.add_relation(
            uow=uow, psn_no=person.psn_no, insutype="310", psn_type="11", begin=date(2024, 6, 1)
        )
    assert new.admdvs == "439901" and new.status == "active"


def test_supplementary_schemes_need_an_employee_relation(regions: Container, admin: Actor) -> None:
    employee = enrol(regions, seq=123, insutype="310")
    resident = enrol(regions, seq=125, insutype="390", psn_type="15")
    with regions.uow(admin) as uow:
        large = service.add_relation(
            uow=uow, psn_no=employee.psn_no, insutype="330", psn_type="11", begin=date(2024, 2, 1)
        )
        assert large.insutype == "330"
        with pytest.raises(BusinessError) as info:
            service.add_relation(
                uow=uow, psn_no=resident.psn_no, insutype="320", psn_type="15", begin=date(2024, 2, 1)
            )
        assert info.value.code == "ENROL_BASIC_REQUIRED" and "310" in info.value.message
        with pytest.raises(BusinessError) as info:
            service.add_relation(
                uow=uow, psn_no=employee.psn_no, insutype="320", psn_type="11", begin=date(2023, 6, 1)
            )
        assert info.value.code == "ENROL_BASIC_REQUIRED"  # before the employee relation began


def test_special_group_with_disability_level(regions: Container, admin: Actor) -> None:
    person = enrol(regions, insutype="390", psn_type="15", begin=date(2023, 1, 1))
    rid = relation_id(regions, person.psn_no, "390")
    with regions.uow(admin) as uow:
        service.change_relation_status(
            uow=uow, psn_no=person.psn_no, relation_id=rid, status="ended", end=date(2023, 12, 31)
        )
        with pytest.raises(BusinessError) as info:
            service.add_relation(
                uow=uow,
                psn_no=person.psn_no,
                insutype="390",
                psn_type="15",
                begin=date(2024, 1, 1),
                idet_type="2308",
            )
        assert (info.value.code, info.value.field) == ("DISABILITY_LEVEL", "disa_lv")
        relation = service.add_relation(
            uow=uow,
            psn_no=person.psn_no,
            insutype="390",
            psn_type="15",
            begin=date(2024, 1, 1),
            idet_type="2308",
            disa_lv="2",
        )
    assert (relation.idet_type, relation.disa_lv) == ("2308", "2")


def test_relation_state_machine_refuses_illegal_transitions(regions: Container, admin: Actor) -> None:
    person = enrol(regions)
    rid = relation_id(regions, person.psn_no)
    with regions.uow(admin) as uow:
        assert (
            service.change_relation_status(
                uow=uow, psn_no=person.psn_no, relation_id=rid, status="suspended"
            ).status
            == "suspended"
        )
        assert (
            service.change_relation_status(
                uow=uow, psn_no=person.psn_no, relation_id=rid, status="active"
            ).status
            == "active"
        )
        with pytest.raises(BusinessError) as info:
            service.change_relation_status(uow=uow, psn_no=person.psn_no, relation_id=rid, status="ended")
        assert (info.value.code, info.value.field) == ("REQUIRED", "end")
        service.change_relation_status(
            uow=uow, psn_no=person.psn_no, relation_id=rid, status="ended", end=date(2024, 12, 31)
        )
        with pytest.raises(BusinessError) as info:
            service.change_relation_status(uow=uow, psn_no=person.psn_no, relation_id=rid, status="active")
        assert info.value.code == "RELATION_STATE" and "终止参保" in info.value.message
    with regions.uow() as uow:
        actions = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "relation").order_by(AuditEntry.id)
        ).all()
    assert actions == ["relation.create", "relation.suspended", "relation.active", "relation.ended"]


def test_relations_of_another_region_cannot_be_changed(regions: Container) -> None:
    person = enrol(regions, admdvs="439901")
    rid = relation_id(regions, person.psn_no)
    with (
        regions.uow(make_actor(Role.CLERK, regions=("439902",))) as uow,
        pytest.raises(BusinessError) as info,
    ):
        service.change_relation_status(uow=uow, psn_no=person.psn_no, relation_id=rid, status="suspended")
    assert info.value.code == "PERSON_NOT_FOUND"


# -------------------------------------------------------------------------------------- contributions


def _employee(regions: Container) -> tuple[str, int]:
    person = enrol(regions, insutype="310", begin=date(2024, 1, 1))
    return person.psn_no, relation_id(regions, person.psn_no)


def test_paid_employee_contribution_credits_the_individual_part(regions: Container, admin: Actor) -> None:
    psn_no, rid = _employee(regions)
    with regions.uow(admin) as uow:
        row = service.record_contribution(
            uow=uow,
            psn_no=psn_no,
            relation_id=rid,
            period="2024-01",
            unit_fen=48000,
            individual_fen=12000,
            base_wage_fen=600000,
            paid_on=date(2024, 1, 20),
        )
    assert (row.paid_on, row.late, row.account_credit_fen, row.total_fen) == (
        date(2024, 1, 20),
        False,
        12000,
        60000,
    )
    with regions.uow(admin) as uow:
        account = service.get_account(uow=uow, psn_no=psn_no)
    assert account.balance == 12000
    assert [(e.entry_type, e.amount, e.balance_after) for e in account.entries.items] == [
        ("credit_contribution", 12000, 12000)
    ]


def test_bad_contribution_input_is_refused(regions: Container, admin: Actor) -> None:
    psn_no, rid = _employee(regions)
    with regions.uow(admin) as uow:
        with pytest.raises(BusinessError) as info:
            service.record_contribution(
                uow=uow, psn_no=psn_no, relation_id=rid, period="2024", individual_fen=-1
            )
        assert {(e.field, e.code) for e in info.value.errors} == {
            ("period", "PERIOD_FORMAT"),
            ("individual_fen", "MONEY_NEGATIVE"),
            ("base_wage_fen", "REQUIRED"),
        }
        with pytest.raises(BusinessError) as info:
            service.record_contribution(
                uow=uow, psn_no=psn_no, relation_id=rid, period="2023-12", base_wage_fen=500000
            )
        assert info.value.code == "PERIOD_OUTSIDE"
        service.record_contribution(
            uow=uow, psn_no=psn_no, relation_id=rid, period="2024-01", base_wage_fen=1
        )
        with pytest.raises(BusinessError) as info:
            service.record_contribution(
                uow=uow, psn_no=psn_no, relation_id=rid, period="2024-01", base_wage_fen=1
            )
        assert info.value.code == "CONTRIBUTION_EXISTS"
    with regions.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Contribution)) == 1


def test_arrears_lists_due_unpaid_periods_of_the_region(regions: Container, admin: Actor) -> None:
    psn_no, rid = _employee(regions)
    other = enrol(regions, seq=125, admdvs="439902")
    other_rid = relation_id(regions, other.psn_no)
    with regions.uow(admin) as uow:
        for period in ("2024-01", "2024-02", "2024-03"):
            service.record_contribution(
                uow=uow, psn_no=psn_no, relation_id=rid, period=period, individual_fen=100, base_wage_fen=5000
            )
        service.record_contribution(
            uow=uow, psn_no=other.psn_no, relation_id=other_rid, period="2024-01", base_wage_fen=5000
        )
        contributions = service.list_contributions(uow=uow, psn_no=psn_no)
        service.pay_contribution(
            uow=uow, psn_no=psn_no, contribution_id=contributions[0].id, paid_on=date(2024, 1, 31)
        )
    clerk = make_actor(Role.CLERK, regions=("439901",))
    with regions.uow(clerk) as uow:
        arrears = service.list_arrears(uow=uow, today=date(2024, 3, 15))
        assert [c.period for c in arrears.items] == ["2024-02"]  # March is not yet due
        with pytest.raises(BusinessError) as info:
            service.list_arrears(uow=uow, admdvs="439902", today=date(2024, 3, 15))
        assert info.value.code == "REGION_NOT_FOUND"


def test_back_payment_within_three_months_lifts_the_waiting_period(regions: Container, admin: Actor) -> None:
    """000 第9篇: 对按规定补缴欠费的，取消医保待遇的等待期."""
    person = enrol(regions, insutype="390", psn_type="15", begin=date(2024, 1, 1))
    rid = relation_id(regions, person.psn_no, "390")
    with regions.uow(admin) as uow:
        late_row = service.record_contribution(
            uow=uow,
            psn_no=person.psn_no,
            relation_id=rid,
            period="2024",
            individual_fen=38000,
            subsidy_fen=64000,
            paid_on=date(2024, 7, 1),
        )
        relation = service.list_relations(uow=uow, psn_no=person.psn_no)[0]
    assert late_row.late and relation.waiting_end == date(2024, 9, 30)  # 6 months late: 3 months waiting
    with regions.uow(admin) as uow:
        on_time = service.record_contribution(
            uow=uow, psn_no=person.psn_no, relation_id=rid, period="2025", individual_fen=38000
        )
        service.pay_contribution(
            uow=uow, psn_no=person.psn_no, contribution_id=on_time.id, paid_on=date(2025, 2, 20)
        )
        relation = service.list_relations(uow=uow, psn_no=person.psn_no)[0]
        with pytest.raises(BusinessError) as info:
            service.pay_contribution(
                uow=uow, psn_no=person.psn_no, contribution_id=on_time.id, paid_on=date(2025, 2, 21)
            )
        assert info.value.code == "CONTRIBUTION_PAID"
    assert relation.waiting_end is None  # back-paid within 3 months of 2024-12-31: lifted
    with regions.uow() as uow:
        actions = set(uow.session.scalars(select(AuditEntry.action)).all())
    assert {"relation.waiting_started", "relation.waiting_lifted", "contribution.back_pay"} <= actions


def test_waiting_policy_is_configurable(regions: Container, admin: Actor) -> None:
    person = enrol(regions, insutype="390", psn_type="15", begin=date(2024, 1, 1))
    rid = relation_id(regions, person.psn_no, "390")
    with regions.uow(admin) as uow:
        service.record_contribution(
            uow=uow,
            psn_no=person.psn_no,
            relation_id=rid,
            period="2024",
            individual_fen=1,
            paid_on=date(2024, 7, 1),
            waiting_policy=WaitingPolicy(lift_within_months=12),
        )
        assert service.list_relations(uow=uow, psn_no=person.psn_no)[0].waiting_end is None


def test_contribution_months_for_retirees(regions: Container, admin: Actor) -> None:
    psn_no, rid = _employee(regions)
    with regions.uow(admin) as uow:
        for month in range(1, 7):
            service.record_contribution(
                uow=uow,
                psn_no=psn_no,
                relation_id=rid,
                period=f"2024-{month:02d}",
                individual_fen=100,
                base_wage_fen=5000,
                paid_on=date(2024, month, 28),
            )
        service.record_contribution(
            uow=uow, psn_no=psn_no, relation_id=rid, period="2024-07", base_wage_fen=1
        )
        assert service.contribution_months(uow=uow, psn_no=psn_no) == 6


def test_retiree_account_gets_the_fixed_monthly_amount(regions: Container, admin: Actor) -> None:
    person = enrol(regions, insutype="310", psn_type="12", birth="19550101")
    rid = relation_id(regions, person.psn_no)
    with regions.uow(admin) as uow:
        row = service.record_contribution(
            uow=uow, psn_no=person.psn_no, relation_id=rid, period="2024-03", paid_on=date(2024, 3, 1)
        )
        assert row.account_credit_fen == 6000
        assert service.get_account(uow=uow, psn_no=person.psn_no).balance == 6000


def test_concurrent_basic_enrolments_of_one_person_let_only_one_through(
    regions: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clerks enrol the same person in two regions at the same moment: one is refused as 重复参保.

    Reading the existing relations is slowed down so both requests would read "no basic relation"
    unless the person's row lock makes the second wait for the first to commit."""
    import threading
    import time

    from yibao.enrolment.repository import EnrolmentRepository

    person = enrol(regions, insutype="390", psn_type="15", begin=date(2023, 1, 1))
    rid = relation_id(regions, person.psn_no, "390")
    with regions.uow(SYSTEM) as uow:
        service.change_relation_status(
            uow=uow, psn_no=person.psn_no, relation_id=rid, status="ended", end=date(2023, 12, 31)
        )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    read_relations = EnrolmentRepository.relations_of

    def slow_relations_of(self: EnrolmentRepository, person_id: int) -> list[Relation]:
        rows = read_relations(self, person_id)
        time.sleep(0.5)
        return rows

    monkeypatch.setattr(EnrolmentRepository, "relations_of", slow_relations_of)

    def worker(admdvs: str, insutype: str, psn_type: str) -> None:
        barrier.wait()
        try:
            with regions.uow(SYSTEM) as uow:
                service.add_relation(
                    uow=uow,
                    psn_no=person.psn_no,
                    insutype=insutype,
                    psn_type=psn_type,
                    admdvs=admdvs,
                    begin=date(2024, 1, 1),
                )
            outcomes.append("ok")
        except BusinessError as exc:
            outcomes.append(exc.code)

    threads = [
        threading.Thread(target=worker, args=("439901", "310", "11")),
        threading.Thread(target=worker, args=("439902", "390", "15")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ENROL_DUPLICATE", "ok"]
    with regions.uow() as uow:
        active = uow.session.scalar(select(func.count()).where(Relation.status == "active"))
    assert active == 1


def test_ending_the_employee_relation_ends_its_supplementary_schemes(
    regions: Container, admin: Actor
) -> None:
    person = enrol(regions, insutype="310", begin=date(2024, 1, 1))
    rid = relation_id(regions, person.psn_no)
    with regions.uow(admin) as uow:
        service.add_relation(
            uow=uow, psn_no=person.psn_no, insutype="330", psn_type="11", begin=date(2024, 2, 1)
        )
        service.change_relation_status(
            uow=uow, psn_no=person.psn_no, relation_id=rid, status="ended", end=date(2024, 6, 30)
        )
        relations = service.list_relations(uow=uow, psn_no=person.psn_no)
    assert [(r.insutype, r.status, r.end) for r in relations] == [
        ("310", "ended", date(2024, 6, 30)),
        ("330", "ended", date(2024, 6, 30)),
    ]
