"""Units and persons: registry rules, masking of ID numbers, region isolation and audit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.enrolment.helpers import add_unit, certno, credit_code, enrol
from tests.factories import add_region, make_actor
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.security import Actor, Role
from yibao.domain.errors import BusinessError
from yibao.enrolment import service
from yibao.enrolment.models import Person, Relation, Unit


@pytest.fixture
def regions(container: Container) -> Container:
    add_region(container, "439901", "甲县")
    add_region(container, "439902", "乙县")
    return container


def _count(container: Container, model: type) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


# ---------------------------------------------------------------------------------------------- units


def test_create_unit_writes_the_row_and_its_audit(regions: Container, admin: Actor) -> None:
    with regions.uow(admin) as uow:
        unit = service.create_unit(
            uow=uow,
            uscc=credit_code(1).lower(),
            name="示范公司",
            admdvs="439901",
            unit_type="enterprise",
            begin=date(2020, 1, 1),
            contact_phone="0731-88888888",
        )
    assert unit.uscc == credit_code(1) and unit.status == "active"
    with regions.uow() as uow:
        audit = uow.session.scalars(select(AuditEntry).where(AuditEntry.entity == "unit")).one()
    assert (audit.action, audit.entity_id, audit.admdvs) == ("unit.create", credit_code(1), "439901")


def test_bad_unit_input_reports_every_field_and_stores_nothing(regions: Container, admin: Actor) -> None:
    with regions.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.create_unit(
            uow=uow,
            uscc=credit_code(1)[:-1] + "0",
            name="",
            admdvs="4399",
            unit_type="shop",
            begin=date(2020, 1, 1),
        )
    codes = {(e.field, e.code) for e in info.value.errors}
    assert codes == {
        ("uscc", "USCC_CHECKSUM"),
        ("name", "REQUIRED"),
        ("admdvs", "ADMDVS_FORMAT"),
        ("unit_type", "UNIT_TYPE"),
    }
    assert "统一社会信用代码校验位错误" in info.value.message
    assert _count(regions, Unit) == 0


def test_unit_region_must_exist_and_uscc_is_unique(regions: Container, admin: Actor) -> None:
    with regions.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.create_unit(
            uow=uow, uscc=credit_code(1), name="x", admdvs="439999", unit_type="other", begin=date(2020, 1, 1)
        )
    assert (info.value.code, info.value.field) == ("REGION_NOT_FOUND", "admdvs")
    add_unit(regions, serial=1)
    with regions.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.create_unit(
            uow=uow, uscc=credit_code(1), name="x", admdvs="439902", unit_type="other", begin=date(2020, 1, 1)
        )
    assert info.value.code == "UNIT_EXISTS" and "示范公司" in info.value.message


def test_units_of_another_region_are_invisible(regions: Container) -> None:
    add_unit(regions, serial=1, admdvs="439901")
    add_unit(regions, serial=2, admdvs="439902", name="乙公司")
    clerk = make_actor(Role.CLERK, regions=("439902",))
    with regions.uow(clerk) as uow:
        assert [u.name for u in service.list_units(uow=uow).items] == ["乙公司"]
        with pytest.raises(BusinessError) as info:
            service.get_unit(uow=uow, uscc=credit_code(1))
        assert info.value.code == "UNIT_NOT_FOUND"
        with pytest.raises(BusinessError) as info:
            service.create_unit(
                uow=uow,
                uscc=credit_code(3),
                name="x",
                admdvs="439901",
                unit_type="other",
                begin=date(2020, 1, 1),
            )
        assert info.value.code == "AUTH_REGION"


def test_update_unit_status_is_audited(regions: Container, admin: Actor) -> None:
    code = add_unit(regions)
    with regions.uow(admin) as uow:
        unit = service.update_unit(uow=uow, uscc=code, status="suspended")
        assert unit.status == "suspended"
        with pytest.raises(BusinessError) as info:
            service.update_unit(uow=uow, uscc=code, status="gone")
        assert info.value.code == "UNIT_STATUS"
    with regions.uow() as uow:
        actions = uow.session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "unit")).all()
    assert sorted(actions) == ["unit.create", "unit.update"]


# -------------------------------------------------------------------------------------------- persons


def test_enrol_derives_sex_and_birth_date_and_numbers_the_person(regions: Container, admin: Actor) -> None:
    code = add_unit(regions)
    with regions.uow(admin) as uow:
        person = service.enrol(
            uow=uow,
            certno=certno("19850615", 124),
            name="李四",
            admdvs="439901",
            insutype="310",
            psn_type="11",
            begin=date(2024, 1, 1),
            unit_uscc=code,
        )
    assert person.psn_no == "4399010000000001"
    assert (person.gend, person.birth_date) == ("2", date(1985, 6, 15))
    assert person.unit_name == "示范公司"
    second = enrol(regions, seq=125)
    assert second.psn_no == "4399010000000002"
    with regions.uow() as uow:
        audit = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "person", AuditEntry.entity_id == person.psn_no)
        ).one()
        relation_audit = uow.session.scalar(
            select(func.count()).where(
                AuditEntry.entity == "relation", AuditEntry.action == "relation.create"
            )
        )
    assert audit.action == "person.create" and audit.username == "admin"
    assert certno("19850615", 124) not in (audit.after or "")  # the trail keeps the ID masked
    assert "110***********" in (audit.after or "")
    assert relation_audit == 2


def test_bad_enrolment_reports_every_field_and_stores_nothing(regions: Container, admin: Actor) -> None:
    bad_id = certno()[:-1] + ("0" if certno()[-1] != "0" else "1")
    with regions.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.enrol(
            uow=uow,
            certno=bad_id,
            name=" ",
            admdvs="439901",
            insutype="999",
            psn_type="11",
            begin="2024-13-01",
            phone="abc",
        )
    fields = {e.field: e.code for e in info.value.errors}
    assert fields == {
        "certno": "ID_CHECKSUM",
        "name": "REQUIRED",
        "insutype": "DICT_CODE",
        "begin": "DATE_FORMAT",
        "phone": "PHONE_FORMAT",
    }
    assert info.value.message == "字段 certno 身份证号校验位错误"
    assert _count(regions, Person) == 0 and _count(regions, Relation) == 0


def test_enrolment_before_birth_and_in_unknown_region_are_refused(regions: Container, admin: Actor) -> None:
    with regions.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.enrol(
            uow=uow,
            certno=certno("20100101"),
            name="小明",
            admdvs="439999",
            insutype="390",
            psn_type="1403",
            begin=date(2009, 1, 1),
        )
    assert {(e.field, e.code) for e in info.value.errors} == {
        ("admdvs", "REGION_NOT_FOUND"),
        ("begin", "ENROL_BEFORE_BIRTH"),
    }


def test_duplicate_certno_names_the_existing_person(regions: Container, admin: Actor) -> None:
    first = enrol(regions, admdvs="439902")
    with regions.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.enrol(
            uow=uow,
            certno=certno().lower(),
            name="张三",
            admdvs="439901",
            insutype="390",
            psn_type="15",
            begin=date(2024, 1, 1),
        )
    assert (info.value.code, info.value.field) == ("PERSON_EXISTS", "certno")
    assert first.psn_no in info.value.message and "439902" in info.value.message
    assert _count(regions, Person) == 1


def test_unit_must_be_in_the_same_region(regions: Container, admin: Actor) -> None:
    code = add_unit(regions, admdvs="439902")
    with regions.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.enrol(
            uow=uow,
            certno=certno(),
            name="张三",
            admdvs="439901",
            insutype="310",
            psn_type="11",
            begin=date(2024, 1, 1),
            unit_uscc=code,
        )
    assert (info.value.code, info.value.field) == ("UNIT_NOT_FOUND", "unit_uscc")


def test_full_id_number_only_with_the_sensitive_permission(regions: Container) -> None:
    person = enrol(regions)
    analyst = make_actor(Role.ANALYST, regions=("439901",))
    clerk = make_actor(Role.CLERK, regions=("439901",))
    with regions.uow(analyst) as uow:
        shown = service.get_person(uow=uow, psn_no=person.psn_no)
        listed = service.list_persons(uow=uow).items[0]
        exported = service.export_persons(uow=uow)
    assert shown.certno == "110***********" + certno()[-4:] and shown.certno_masked
    assert listed.certno == shown.certno and exported[0][1] == shown.certno
    with regions.uow(clerk) as uow:
        assert service.get_person(uow=uow, psn_no=person.psn_no).certno == certno()
        assert service.export_persons(uow=uow)[0][1] == certno()


def test_persons_are_searched_by_number_name_and_id(regions: Container, admin: Actor) -> None:
    a = enrol(regions, seq=123, name="张三")
    enrol(regions, seq=125, name="王五")
    with regions.uow(admin) as uow:
        assert [p.name for p in service.list_persons(uow=uow, q="王").items] == ["王五"]
        assert [p.psn_no for p in service.list_persons(uow=uow, q=a.psn_no).items] == [a.psn_no]
        assert [p.name for p in service.list_persons(uow=uow, certno=certno(seq=125)).items] == ["王五"]


def test_persons_of_another_region_are_invisible_and_untouchable(regions: Container) -> None:
    person = enrol(regions, admdvs="439901")
    outsider = make_actor(Role.CLERK, regions=("439902",))
    with regions.uow(outsider) as uow:
        assert service.list_persons(uow=uow).total == 0
        with pytest.raises(BusinessError) as info:
            service.get_person(uow=uow, psn_no=person.psn_no)
        assert info.value.code == "PERSON_NOT_FOUND"
        with pytest.raises(BusinessError) as info:
            service.enrol(
                uow=uow,
                certno=certno(seq=127),
                name="x",
                admdvs="439901",
                insutype="390",
                psn_type="15",
                begin=date(2024, 1, 1),
            )
        assert info.value.code == "AUTH_REGION"


def test_readers_cannot_enrol(regions: Container) -> None:
    with regions.uow(make_actor(Role.ANALYST)) as uow, pytest.raises(BusinessError) as info:
        service.enrol(
            uow=uow,
            certno=certno(),
            name="x",
            admdvs="439901",
            insutype="390",
            psn_type="15",
            begin=date(2024, 1, 1),
        )
    assert info.value.code == "AUTH_FORBIDDEN"


def test_update_person_phone_is_audited(regions: Container, admin: Actor) -> None:
    person = enrol(regions)
    with regions.uow(admin) as uow:
        updated = service.update_person(uow=uow, psn_no=person.psn_no, phone="13900000000")
    assert updated.phone == "13900000000"
    with regions.uow() as uow:
        assert uow.session.scalar(select(func.count()).where(AuditEntry.action == "person.update")) == 1
