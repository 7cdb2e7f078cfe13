"""Institutions registry use cases: create, update, search, agreement, departments, isolation, audit."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import add_region, make_actor
from tests.institutions.helpers import add_institution, analyst, credit_code, supervisor
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.security import Actor, Role
from yibao.domain.errors import BusinessError, ErrorKind
from yibao.institutions import service
from yibao.institutions.models import Department, Institution


def _count(container: Container, model: type) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _audits(container: Container, action: str) -> list[AuditEntry]:
    with container.uow() as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_create_institution_stores_it_applying_with_its_audit_row(container: Container) -> None:
    add_region(container)
    with container.uow(supervisor()) as uow:
        view = service.create_institution(
            uow=uow,
            fixmedins_code="H43990100001",
            name="示范县人民医院",
            fixmedins_type="1",
            hosp_lv="5",
            admdvs="439901",
            address="示范县人民路1号",
            uscc=credit_code(1),
        )
    assert (view.agreement_status, view.can_settle_today, view.settle_code) == (
        "applying",
        False,
        "AGREEMENT_NOT_SIGNED",
    )
    assert (view.fixmedins_type_name, view.hosp_lv_name) == ("定点医疗机构", "二级甲等")
    [audit] = _audits(container, "institution.create")
    assert (audit.entity, audit.entity_id, audit.admdvs, audit.username) == (
        "institution",
        "H43990100001",
        "439901",
        "supervisor",
    )
    assert json.loads(audit.after or "{}")["name"] == "示范县人民医院"


def test_create_with_agreement_dates_signs_it(container: Container) -> None:
    view = add_institution(container, agreement_begin=date(2025, 1, 1))
    assert (view.agreement_status, view.agreement_begin, view.agreement_end, view.renewal_deadline) == (
        "active",
        date(2025, 1, 1),
        date(2025, 12, 31),
        date(2026, 2, 28),
    )


def test_get_institution_gives_the_model_for_other_areas(container: Container) -> None:
    add_institution(container)
    with container.uow(make_actor(Role.INSTITUTION, institution_code="H43990100001")) as uow:
        institution = service.get_institution(uow=uow, fixmedins_code="H43990100001")
    assert isinstance(institution, Institution)
    assert (
        institution.fixmedins_code,
        institution.admdvs,
        institution.hosp_lv,
        institution.fixmedins_type,
    ) == (
        "H43990100001",
        "439901",
        "5",
        "1",
    )


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"fixmedins_code": "h1"}, "fixmedins_code", "FIXMEDINS_CODE_FORMAT"),
        ({"fixmedins_code": ""}, "fixmedins_code", "REQUIRED"),
        ({"name": ""}, "name", "REQUIRED"),
        ({"name": "长" * 129}, "name", "TOO_LONG"),
        ({"fixmedins_type": "9"}, "fixmedins_type", "DICT_CODE"),
        ({"hosp_lv": "99"}, "hosp_lv", "DICT_CODE"),
        ({"hosp_lv": None}, "hosp_lv", "HOSP_LV_REQUIRED"),
        ({"fixmedins_type": "2"}, "hosp_lv", "HOSP_LV_PHARMACY"),
        ({"address": "长" * 256}, "address", "TOO_LONG"),
        ({"uscc": "12345"}, "uscc", "USCC_LENGTH"),
        ({"uscc": "91430100000000001X"}, "uscc", "USCC_CHECKSUM"),
        ({"admdvs": "4399"}, "admdvs", "ADMDVS_FORMAT"),
        ({"admdvs": "439908"}, "admdvs", "REGION_NOT_FOUND"),
        ({"agreement_end": date(2025, 1, 1)}, "agreement_begin", "REQUIRED"),
    ],
)
def test_bad_input_is_refused_per_field_and_nothing_is_stored(
    container: Container, changes: dict[str, object], field: str, code: str
) -> None:
    add_region(container)
    fields: dict[str, object] = {
        "fixmedins_code": "H43990100001",
        "name": "示范县人民医院",
        "fixmedins_type": "1",
        "hosp_lv": "5",
        "admdvs": "439901",
    }
    fields.update(changes)
    actor = make_actor(Role.ADMIN, all_regions=True) if code == "REGION_NOT_FOUND" else supervisor()
    with container.uow(actor) as uow, pytest.raises(BusinessError) as info:
        service.create_institution(uow=uow, **fields)  # type: ignore[arg-type]
    assert (info.value.code, info.value.field) == (code, field)
    assert f"字段 {field}" in info.value.message
    assert _count(container, Institution) == 0
    assert _audits(container, "institution.create") == []


def test_every_bad_field_is_reported_at_once(container: Container) -> None:
    add_region(container)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.create_institution(
            uow=uow, fixmedins_code="x", name="", fixmedins_type="9", admdvs="439901", uscc="1"
        )
    assert {e.field for e in info.value.errors} == {"fixmedins_code", "name", "fixmedins_type", "uscc"}


def test_duplicate_code_is_a_conflict(container: Container) -> None:
    add_institution(container)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.create_institution(
            uow=uow, fixmedins_code="H43990100001", name="又一家", fixmedins_type="2", admdvs="439901"
        )
    assert (info.value.code, info.value.kind) == ("INSTITUTION_EXISTS", ErrorKind.CONFLICT)


def test_readers_cannot_write(container: Container) -> None:
    add_region(container)
    with container.uow(analyst()) as uow, pytest.raises(BusinessError) as info:
        service.create_institution(
            uow=uow, fixmedins_code="P43990100001", name="药店", fixmedins_type="2", admdvs="439901"
        )
    assert info.value.code == "AUTH_FORBIDDEN"


def test_region_isolation(container: Container) -> None:
    add_institution(container, "H43990100001", admdvs="439901")
    add_institution(container, "H43990200001", admdvs="439902", name="乙县医院")
    actor = supervisor("439901")
    with container.uow(actor) as uow:
        page = service.list_institutions(uow=uow)
        assert [i.fixmedins_code for i in page.items] == ["H43990100001"]
        for call in (
            lambda: service.get_institution(uow=uow, fixmedins_code="H43990200001"),
            lambda: service.show_institution(uow=uow, fixmedins_code="H43990200001"),
            lambda: service.update_institution(uow=uow, fixmedins_code="H43990200001", name="改"),
            lambda: service.change_agreement(
                uow=uow, fixmedins_code="H43990200001", action="sign", begin=date(2025, 1, 1)
            ),
            lambda: service.list_departments(uow=uow, fixmedins_code="H43990200001"),
        ):
            with pytest.raises(BusinessError) as info:
                call()
            assert info.value.code == "INSTITUTION_NOT_FOUND"
        with pytest.raises(BusinessError) as info:
            service.create_institution(
                uow=uow, fixmedins_code="P43990200002", name="药店", fixmedins_type="2", admdvs="439902"
            )
        assert info.value.code == "AUTH_REGION"


def test_search_by_name_type_and_status(container: Container) -> None:
    add_institution(container, "H43990100001", name="示范县人民医院", agreement_begin=date(2025, 1, 1))
    add_institution(container, "P43990100002", name="康民大药房", fixmedins_type="2", hosp_lv=None)
    with container.uow(analyst()) as uow:
        assert [i.fixmedins_code for i in service.list_institutions(uow=uow, q="大药房").items] == [
            "P43990100002"
        ]
        assert [i.fixmedins_code for i in service.list_institutions(uow=uow, fixmedins_type="1").items] == [
            "H43990100001"
        ]
        assert [
            i.fixmedins_code for i in service.list_institutions(uow=uow, agreement_status="applying").items
        ] == ["P43990100002"]
        assert service.list_institutions(uow=uow, page=1, size=1).total == 2


def test_update_changes_fields_and_audits_before_and_after(container: Container) -> None:
    add_institution(container)
    with container.uow(supervisor()) as uow:
        view = service.update_institution(
            uow=uow,
            fixmedins_code="H43990100001",
            name="示范县中心医院",
            hosp_lv="2",
            address="新址",
            active=False,
        )
    assert (view.name, view.hosp_lv, view.address, view.active) == ("示范县中心医院", "2", "新址", False)
    [audit] = _audits(container, "institution.update")
    assert json.loads(audit.before or "{}")["name"] == "示范县人民医院"
    assert json.loads(audit.after or "{}")["name"] == "示范县中心医院"
    with container.uow(supervisor()) as uow:
        cleared = service.update_institution(uow=uow, fixmedins_code="H43990100001", address="")
    assert cleared.address is None


def test_update_refuses_bad_input_and_keeps_the_row(container: Container) -> None:
    add_institution(container)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.update_institution(uow=uow, fixmedins_code="H43990100001", name="新名", hosp_lv="")
    assert info.value.code == "HOSP_LV_REQUIRED"
    with container.uow() as uow:
        assert service.get_institution(uow=uow, fixmedins_code="H43990100001").name == "示范县人民医院"


# ---- agreement ----------------------------------------------------------------------------------


def test_agreement_life_cycle_is_audited_step_by_step(container: Container) -> None:
    add_institution(container)
    steps = [
        ({"action": "sign", "day": date(2025, 1, 1), "begin": date(2025, 1, 1)}, "active"),
        (
            {"action": "suspend", "day": date(2025, 3, 1), "until": date(2025, 4, 30), "reason": "整改"},
            "suspended",
        ),
        ({"action": "resume", "day": date(2025, 4, 15)}, "active"),
        ({"action": "renew", "day": date(2025, 12, 1), "terms_profile": "general"}, "active"),
        ({"action": "expire", "day": date(2027, 1, 1)}, "expired"),
        ({"action": "terminate", "day": date(2027, 2, 1), "reason": "不再续签"}, "terminated"),
    ]
    for kwargs, status in steps:
        with container.uow(supervisor()) as uow:
            view = service.change_agreement(uow=uow, fixmedins_code="H43990100001", **kwargs)  # type: ignore[arg-type]
        assert view.agreement_status == status
    assert (view.agreement_begin, view.agreement_end, view.status_reason) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
        "不再续签",
    )
    for action in ("sign", "suspend", "resume", "renew", "expire", "terminate"):
        [audit] = _audits(container, f"institution.agreement.{action}")
        assert audit.entity_id == "H43990100001"
    with container.uow() as uow:
        assert service.settlement_allowed(uow=uow, fixmedins_code="H43990100001", day=date(2026, 6, 1)) == (
            True,
            "OK",
            "协议有效，可以结算",
        )
        assert service.settlement_allowed(uow=uow, fixmedins_code="H43990100001", day=date(2027, 2, 1))[
            :2
        ] == (
            False,
            "AGREEMENT_TERMINATED",
        )


def test_illegal_agreement_action_changes_nothing(container: Container) -> None:
    add_institution(container)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.change_agreement(uow=uow, fixmedins_code="H43990100001", action="resume")
    assert (info.value.code, info.value.kind) == ("AGREEMENT_TRANSITION", ErrorKind.CONFLICT)
    assert "申请中" in info.value.message
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.change_agreement(uow=uow, fixmedins_code="H43990100001", action="dance")
    assert (info.value.code, info.value.field) == ("AGREEMENT_ACTION", "action")
    with container.uow() as uow:
        assert service.get_institution(uow=uow, fixmedins_code="H43990100001").agreement_status == "applying"
    assert [a for a in _audits(container, "institution.agreement.resume")] == []


def test_not_renewed_agreement_shows_suspended_and_cannot_settle(container: Container) -> None:
    add_institution(container, agreement_begin=date(2020, 1, 1))  # ended 2020-12-31, long ago
    with container.uow(analyst()) as uow:
        view = service.show_institution(uow=uow, fixmedins_code="H43990100001")
    assert (view.agreement_status, view.effective_status, view.can_settle_today, view.settle_code) == (
        "active",
        "suspended",
        False,
        "AGREEMENT_NOT_RENEWED",
    )
    assert view.settle_reason == "协议到期2个月未续签，暂停结算"


# ---- departments --------------------------------------------------------------------------------


def test_departments_add_list_update(container: Container) -> None:
    add_institution(container)
    with container.uow(supervisor()) as uow:
        dept = service.add_department(
            uow=uow,
            fixmedins_code="H43990100001",
            dept_code="NK01",
            name="内科",
            caty="A03",
            begin=date(2025, 1, 1),
        )
    assert (dept.dept_code, dept.caty) == ("NK01", "A03")
    with container.uow(supervisor()) as uow:
        service.update_department(
            uow=uow,
            fixmedins_code="H43990100001",
            dept_code="NK01",
            name="内科一病区",
            end=date(2025, 12, 31),
        )
    with container.uow(analyst()) as uow:
        [listed] = service.list_departments(uow=uow, fixmedins_code="H43990100001")
    assert (listed.name, listed.end) == ("内科一病区", date(2025, 12, 31))
    assert len(_audits(container, "institution.dept.create")) == 1
    assert len(_audits(container, "institution.dept.update")) == 1


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"dept_code": ""}, "dept_code", "REQUIRED"),
        ({"dept_code": "内科"}, "dept_code", "DEPT_CODE_FORMAT"),
        ({"name": ""}, "name", "REQUIRED"),
        ({"caty": "Z99"}, "caty", "DICT_CODE"),
        ({"end": date(2024, 1, 1)}, "end", "PERIOD_ORDER"),
    ],
)
def test_bad_department_input(
    container: Container, changes: dict[str, object], field: str, code: str
) -> None:
    add_institution(container)
    fields: dict[str, object] = {
        "dept_code": "NK01",
        "name": "内科",
        "caty": "A03",
        "begin": date(2025, 1, 1),
    }
    fields.update(changes)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.add_department(uow=uow, fixmedins_code="H43990100001", **fields)  # type: ignore[arg-type]
    assert (info.value.code, info.value.field) == (code, field)
    assert _count(container, Department) == 0


def test_duplicate_and_missing_department(container: Container) -> None:
    add_institution(container)
    with container.uow(supervisor()) as uow:
        service.add_department(
            uow=uow,
            fixmedins_code="H43990100001",
            dept_code="NK01",
            name="内科",
            caty="A03",
            begin=date(2025, 1, 1),
        )
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.add_department(
            uow=uow,
            fixmedins_code="H43990100001",
            dept_code="NK01",
            name="又",
            caty="A03",
            begin=date(2025, 1, 1),
        )
    assert info.value.code == "DEPT_EXISTS"
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.update_department(uow=uow, fixmedins_code="H43990100001", dept_code="WK01", name="外科")
    assert info.value.code == "DEPT_NOT_FOUND"


def test_an_institution_operator_reads_its_own_institution_only(container: Container) -> None:
    add_institution(container, "H43990100001")
    add_institution(container, "H43990100002", name="另一家")
    operator: Actor = make_actor(Role.INSTITUTION, institution_code="H43990100001")
    with container.uow(operator) as uow:
        assert service.show_institution(uow=uow, fixmedins_code="H43990100001").name == "示范县人民医院"
        with pytest.raises(BusinessError) as info:
            service.show_institution(uow=uow, fixmedins_code="H43990100002")
        assert info.value.code == "AUTH_FORBIDDEN"
