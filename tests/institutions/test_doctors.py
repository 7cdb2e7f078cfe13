"""Insurance doctors (医保医师): registry, links, status changes, masking, isolation, audit."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import add_region, make_actor
from tests.institutions.helpers import add_doctor, add_institution, analyst, resident_id, supervisor
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.security import Role
from yibao.domain.errors import BusinessError, ErrorKind
from yibao.institutions import service
from yibao.institutions.models import Doctor


def _doctors(container: Container) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Doctor)) or 0)


def _audits(container: Container, action: str) -> list[AuditEntry]:
    with container.uow() as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _with_department(container: Container) -> None:
    add_institution(container)
    with container.uow(supervisor()) as uow:
        service.add_department(
            uow=uow,
            fixmedins_code="H43990100001",
            dept_code="NK01",
            name="内科",
            caty="A03",
            begin=date(2020, 1, 1),
        )


def test_create_doctor_at_an_institution(container: Container) -> None:
    _with_department(container)
    with container.uow(supervisor()) as uow:
        view = service.create_doctor(
            uow=uow,
            dr_code="d43990100001",
            name="张医生",
            certno=resident_id(1),
            kind="doctor",
            admdvs="439901",
            fixmedins_code="H43990100001",
            dept_code="NK01",
            begin=date(2025, 1, 1),
        )
    assert (view.dr_code, view.status, view.points_deducted, view.qualified_today) == (
        "D43990100001",
        "active",
        0,
        True,
    )
    assert view.certno == resident_id(1)  # supervisors hold person:sensitive
    [link] = view.links
    assert (link.fixmedins_code, link.fixmedins_name, link.dept_code, link.begin) == (
        "H43990100001",
        "示范县人民医院",
        "NK01",
        date(2025, 1, 1),
    )
    [audit] = _audits(container, "doctor.create")
    assert audit.entity_id == "D43990100001"
    assert resident_id(1) not in (audit.after or "")  # the audit trail holds a masked ID only


def test_certno_is_masked_without_person_sensitive(container: Container) -> None:
    add_region(container)
    add_doctor(container)
    with container.uow(analyst()) as uow:
        view = service.show_doctor(uow=uow, dr_code="D43990100001")
        [listed] = service.list_doctors(uow=uow).items
    assert view.certno.startswith("110*")
    assert resident_id(1) not in (view.certno, listed.certno)
    assert view.certno.endswith(resident_id(1)[-4:])


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"dr_code": ""}, "dr_code", "REQUIRED"),
        ({"dr_code": "D123"}, "dr_code", "DR_CODE_FORMAT"),
        ({"dr_code": "Y43990100001"}, "dr_code", "DR_CODE_KIND"),
        ({"name": ""}, "name", "REQUIRED"),
        ({"name": "长" * 65}, "name", "TOO_LONG"),
        ({"certno": "12345"}, "certno", "ID_LENGTH"),
        (
            {"certno": resident_id(1)[:-1] + ("0" if resident_id(1)[-1] != "0" else "1")},
            "certno",
            "ID_CHECKSUM",
        ),
        ({"kind": "surgeon"}, "kind", "DOCTOR_KIND"),
        ({"admdvs": "43"}, "admdvs", "ADMDVS_FORMAT"),
        ({"fixmedins_code": "H43990100009"}, "fixmedins_code", "INSTITUTION_NOT_FOUND"),
        ({"fixmedins_code": "H43990100001", "dept_code": "WK99"}, "dept_code", "DEPT_NOT_FOUND"),
    ],
)
def test_bad_doctor_input_is_refused_and_nothing_is_stored(
    container: Container, changes: dict[str, object], field: str, code: str
) -> None:
    _with_department(container)
    fields: dict[str, object] = {
        "dr_code": "D43990100001",
        "name": "张医生",
        "certno": resident_id(1),
        "kind": "doctor",
        "admdvs": "439901",
    }
    fields.update(changes)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.create_doctor(uow=uow, **fields)  # type: ignore[arg-type]
    assert (info.value.code, info.value.field) == (code, field)
    assert f"字段 {field}" in info.value.message
    assert _doctors(container) == 0
    assert _audits(container, "doctor.create") == []


def test_kind_may_be_given_in_chinese(container: Container) -> None:
    add_region(container)
    with container.uow(supervisor()) as uow:
        view = service.create_doctor(
            uow=uow,
            dr_code="Y43990100001",
            name="李药师",
            certno=resident_id(2),
            kind="药师",
            admdvs="439901",
        )
    assert view.kind == "pharmacist"


def test_one_code_per_person(container: Container) -> None:
    add_region(container)
    add_doctor(container, "D43990100001", seq=1)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.create_doctor(
            uow=uow,
            dr_code="D43990100001",
            name="重复",
            certno=resident_id(5),
            kind="doctor",
            admdvs="439901",
        )
    assert (info.value.code, info.value.kind) == ("DOCTOR_EXISTS", ErrorKind.CONFLICT)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.create_doctor(
            uow=uow,
            dr_code="D43990100002",
            name="同人",
            certno=resident_id(1),
            kind="doctor",
            admdvs="439901",
        )
    assert info.value.code == "DOCTOR_CERTNO_EXISTS"


def test_links_to_several_institutions_and_overlap_refused(container: Container) -> None:
    add_institution(container, "H43990100001")
    add_institution(container, "H43990100002", name="第二医院")
    add_doctor(container, fixmedins_code="H43990100001", begin=date(2024, 1, 1))
    with container.uow(supervisor()) as uow:
        view = service.link_doctor(
            uow=uow, dr_code="D43990100001", fixmedins_code="H43990100002", begin=date(2025, 1, 1)
        )
    assert [lk.fixmedins_code for lk in view.links] == ["H43990100001", "H43990100002"]
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.link_doctor(
            uow=uow, dr_code="D43990100001", fixmedins_code="H43990100002", begin=date(2025, 6, 1)
        )
    assert info.value.code == "DOCTOR_LINK_OVERLAP"
    with container.uow(supervisor()) as uow:
        ended = service.end_doctor_link(
            uow=uow, dr_code="D43990100001", fixmedins_code="H43990100001", end=date(2024, 12, 31)
        )
    assert ended.links[0].end == date(2024, 12, 31)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.end_doctor_link(
            uow=uow, dr_code="D43990100001", fixmedins_code="H43990100001", end=date(2025, 1, 1)
        )
    assert info.value.code == "DOCTOR_LINK_NOT_FOUND"
    assert len(_audits(container, "doctor.link")) == 1
    assert len(_audits(container, "doctor.unlink")) == 1
    with container.uow(analyst()) as uow:
        assert [d.dr_code for d in service.list_doctors(uow=uow, fixmedins_code="H43990100002").items] == [
            "D43990100001"
        ]
        assert service.doctor_qualification(
            uow=uow, dr_code="D43990100001", day=date(2025, 3, 1), fixmedins_code="H43990100001"
        )[:2] == (False, "DOCTOR_NOT_AT_INSTITUTION")
        assert service.doctor_qualification(
            uow=uow, dr_code="D43990100001", day=date(2025, 3, 1), fixmedins_code="H43990100002"
        )[:2] == (True, "OK")


def test_status_changes_are_audited_and_decide_prescribing(container: Container) -> None:
    add_region(container)
    add_doctor(container)
    with container.uow(supervisor()) as uow:
        view = service.change_doctor_status(
            uow=uow,
            dr_code="D43990100001",
            action="suspend",
            day=date(2025, 3, 1),
            until=date(2025, 8, 31),
            reason="年度扣分达6分",
        )
    assert (view.status, view.suspended_until) == ("suspended", date(2025, 8, 31))
    with container.uow(analyst()) as uow:
        assert service.doctor_qualification(uow=uow, dr_code="D43990100001", day=date(2025, 5, 1)) == (
            False,
            "DOCTOR_SUSPENDED",
            "医保医师资格暂停期间，不能开具医保处方",
        )
    [audit] = _audits(container, "doctor.suspend")
    assert (
        audit.note,
        json.loads(audit.before or "{}")["status"],
        json.loads(audit.after or "{}")["status"],
    ) == (
        "年度扣分达6分",
        "active",
        "suspended",
    )
    with container.uow(supervisor()) as uow:
        service.change_doctor_status(uow=uow, dr_code="D43990100001", action="resume", day=date(2025, 6, 1))
    with container.uow(supervisor()) as uow:
        view = service.change_doctor_status(
            uow=uow, dr_code="D43990100001", action="cancel", day=date(2025, 7, 1), reason="严重违规"
        )
    assert view.status == "cancelled"
    assert len(_audits(container, "doctor.resume")) == 1
    assert len(_audits(container, "doctor.cancel")) == 1


def test_illegal_status_change_changes_nothing(container: Container) -> None:
    add_region(container)
    add_doctor(container)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.change_doctor_status(uow=uow, dr_code="D43990100001", action="resume")
    assert info.value.code == "DOCTOR_TRANSITION"
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.change_doctor_status(uow=uow, dr_code="D43990100001", action="promote")
    assert (info.value.code, info.value.field) == ("DOCTOR_ACTION", "action")
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.change_doctor_status(uow=uow, dr_code="D43990100001", action="suspend", reason="x")
    assert (info.value.code, info.value.field) == ("REQUIRED", "until")
    with container.uow() as uow:
        assert service.get_doctor(uow=uow, dr_code="D43990100001").status == "active"
    assert _audits(container, "doctor.suspend") == []


def test_doctor_region_isolation(container: Container) -> None:
    add_region(container, "439901")
    add_region(container, "439902", "乙县")
    add_doctor(container, "D43990100001", seq=1, admdvs="439901")
    add_doctor(container, "D43990200001", seq=2, admdvs="439902")
    add_institution(container, "H43990200001", admdvs="439902")
    actor = supervisor("439901")
    with container.uow(actor) as uow:
        assert [d.dr_code for d in service.list_doctors(uow=uow).items] == ["D43990100001"]
        for call in (
            lambda: service.show_doctor(uow=uow, dr_code="D43990200001"),
            lambda: service.update_doctor(uow=uow, dr_code="D43990200001", name="改"),
            lambda: service.change_doctor_status(
                uow=uow, dr_code="D43990200001", action="cancel", reason="x"
            ),
        ):
            with pytest.raises(BusinessError) as info:
                call()
            assert info.value.code == "DOCTOR_NOT_FOUND"
        with pytest.raises(BusinessError) as info:
            service.link_doctor(
                uow=uow, dr_code="D43990100001", fixmedins_code="H43990200001", begin=date(2025, 1, 1)
            )
        assert info.value.code == "INSTITUTION_NOT_FOUND"
        with pytest.raises(BusinessError) as info:
            service.create_doctor(
                uow=uow,
                dr_code="D43990200002",
                name="乙",
                certno=resident_id(3),
                kind="doctor",
                admdvs="439902",
            )
        assert info.value.code == "AUTH_REGION"


def test_search_and_update(container: Container) -> None:
    add_region(container)
    add_doctor(container, "D43990100001", seq=1)
    add_doctor(container, "Y43990100002", seq=2, kind="pharmacist")
    with container.uow(supervisor()) as uow:
        service.update_doctor(uow=uow, dr_code="D43990100001", name="王大夫")
        assert [d.dr_code for d in service.list_doctors(uow=uow, q="王大夫").items] == ["D43990100001"]
        assert [d.dr_code for d in service.list_doctors(uow=uow, kind="pharmacist").items] == ["Y43990100002"]
        assert [d.dr_code for d in service.list_doctors(uow=uow, q=resident_id(2)).items] == ["Y43990100002"]
    with container.uow(analyst()) as uow:
        assert service.list_doctors(uow=uow, q=resident_id(2)).items == []  # no ID search without the right
    assert len(_audits(container, "doctor.update")) == 1


def test_institution_operators_cannot_list_doctors(container: Container) -> None:
    add_region(container)
    with (
        container.uow(make_actor(Role.INSTITUTION, institution_code="H1")) as uow,
        pytest.raises(BusinessError),
    ):
        service.list_doctors(uow=uow)
