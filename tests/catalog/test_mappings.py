"""Hospital code mapping (对码): submit, approve/reject/revoke, own institution, region isolation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.catalog.helpers import DRUG_CODE, add_drug, add_institution, operator, reviewer
from tests.factories import make_actor
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.catalog import service
from yibao.catalog.models import CodeMapping
from yibao.core.security import Actor, Role
from yibao.domain.errors import BusinessError

HOSPITAL = "H43990100001"


def _submit(container: Container, actor: Actor | None = None, **overrides: object) -> CodeMapping:
    args: dict[str, object] = {
        "fixmedins_code": HOSPITAL,
        "medins_list_codg": "YP-0001",
        "medins_list_name": "地塞米松针 5mg",
        "hilist_code": DRUG_CODE,
        "begin": date(2024, 2, 1),
    }
    args.update(overrides)
    with container.uow(actor or operator()) as uow:
        return service.submit_mapping(uow=uow, **args)  # type: ignore[arg-type]


@pytest.fixture
def ready(container: Container) -> Container:
    add_drug(container)
    add_institution(container, HOSPITAL, "439901")
    add_institution(container, "H43990200001", "439902")
    return container


def _count(container: Container) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(CodeMapping)) or 0)


def test_submit_then_approve_makes_the_mapping_resolve(ready: Container) -> None:
    mapping = _submit(ready)
    assert (mapping.status, mapping.admdvs, mapping.kind) == ("submitted", "439901", "drug")
    with ready.uow(operator()) as uow:
        assert service.resolve_mapping(uow=uow, fixmedins_code=HOSPITAL, medins_list_codg="YP-0001",
                                       day=date(2024, 3, 1)) is None  # fmt: skip
    with ready.uow(reviewer()) as uow:
        approved = service.approve_mapping(uow=uow, mapping_id=mapping.id)
    assert approved.status == "approved" and approved.decided_by == "reviewer439901"
    with ready.uow(operator()) as uow:
        item = service.resolve_mapping(uow=uow, fixmedins_code=HOSPITAL, medins_list_codg="YP-0001",
                                       day=date(2024, 3, 1))  # fmt: skip
        before = service.resolve_mapping(uow=uow, fixmedins_code=HOSPITAL, medins_list_codg="YP-0001",
                                         day=date(2024, 1, 31))  # fmt: skip
    assert item is not None and item.code == DRUG_CODE
    assert before is None
    with ready.uow() as uow:
        actions = list(uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "catalog_mapping").order_by(AuditEntry.id)
        ))  # fmt: skip
    assert actions == ["mapping.submit", "mapping.approve"]


def test_rejected_mapping_needs_a_reason_and_is_never_used(ready: Container) -> None:
    mapping = _submit(ready)
    with ready.uow(reviewer()) as uow, pytest.raises(BusinessError) as info:
        service.reject_mapping(uow=uow, mapping_id=mapping.id, reason=" ")
    assert (info.value.code, info.value.field) == ("REQUIRED", "reason")
    with ready.uow(reviewer()) as uow:
        rejected = service.reject_mapping(uow=uow, mapping_id=mapping.id, reason="规格不符")
    assert (rejected.status, rejected.reason) == ("rejected", "规格不符")
    with ready.uow(reviewer()) as uow, pytest.raises(BusinessError) as info:
        service.approve_mapping(uow=uow, mapping_id=mapping.id)
    assert info.value.code == "MAPPING_STATE"
    with ready.uow(operator()) as uow:
        assert service.resolve_mapping(uow=uow, fixmedins_code=HOSPITAL, medins_list_codg="YP-0001",
                                       day=date(2024, 3, 1)) is None  # fmt: skip
    _submit(ready)  # a rejected mapping does not block a corrected submission


def test_revoked_mapping_is_used_up_to_its_end_only(ready: Container) -> None:
    mapping = _submit(ready)
    with ready.uow(reviewer()) as uow:
        service.approve_mapping(uow=uow, mapping_id=mapping.id)
    with ready.uow(reviewer()) as uow, pytest.raises(BusinessError) as info:
        service.revoke_mapping(uow=uow, mapping_id=mapping.id, end=date(2024, 1, 1))
    assert info.value.code == "PERIOD_ORDER"
    with ready.uow(reviewer()) as uow:
        revoked = service.revoke_mapping(
            uow=uow, mapping_id=mapping.id, end=date(2024, 6, 30), reason="错误对码"
        )
    assert (revoked.status, revoked.end) == ("revoked", date(2024, 6, 30))
    with ready.uow(operator()) as uow:
        on = service.resolve_mapping(uow=uow, fixmedins_code=HOSPITAL, medins_list_codg="YP-0001",
                                     day=date(2024, 6, 30))  # fmt: skip
        after = service.resolve_mapping(uow=uow, fixmedins_code=HOSPITAL, medins_list_codg="YP-0001",
                                        day=date(2024, 7, 1))  # fmt: skip
    assert on is not None and after is None
    with ready.uow(reviewer()) as uow, pytest.raises(BusinessError) as info:
        service.revoke_mapping(uow=uow, mapping_id=mapping.id, end=date(2024, 5, 1))
    assert info.value.code == "MAPPING_STATE"
    _submit(ready, begin=date(2024, 7, 1))  # the code may be mapped again after the end


def test_resubmitting_an_approved_code_for_the_same_period_is_a_conflict(ready: Container) -> None:
    mapping = _submit(ready)
    with ready.uow(operator()) as uow, pytest.raises(BusinessError) as info:
        service.submit_mapping(
            uow=uow,
            fixmedins_code=HOSPITAL,
            medins_list_codg="YP-0001",
            medins_list_name="x",
            hilist_code=DRUG_CODE,
            begin=date(2024, 5, 1),
        )
    assert info.value.code == "MAPPING_PENDING"
    with ready.uow(reviewer()) as uow:
        service.approve_mapping(uow=uow, mapping_id=mapping.id)
    with pytest.raises(BusinessError) as info:
        _submit(ready, begin=date(2024, 5, 1))
    assert info.value.code == "MAPPING_EXISTS"
    assert f"编号 {mapping.id}" in info.value.message
    assert _count(ready) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"hilist_code": "XA01ABD075A002010100999"}, "hilist_code", "MAPPING_ITEM_UNKNOWN"),
        ({"begin": date(2023, 6, 1)}, "hilist_code", "MAPPING_ITEM_NOT_VALID"),
        ({"medins_list_codg": ""}, "medins_list_codg", "REQUIRED"),
        ({"medins_list_name": ""}, "medins_list_name", "REQUIRED"),
        ({"end": date(2024, 1, 1)}, "end", "PERIOD_ORDER"),
    ],
)
def test_bad_submission_is_refused_and_nothing_stored(
    ready: Container, overrides: dict[str, object], field: str, code: str
) -> None:
    with pytest.raises(BusinessError) as info:
        _submit(ready, **overrides)
    assert (info.value.field, info.value.code) == (field, code)
    assert _count(ready) == 0


def test_an_operator_acts_only_for_its_own_institution(ready: Container) -> None:
    with pytest.raises(BusinessError) as info:
        _submit(ready, fixmedins_code="H43990200001")
    assert (info.value.code, info.value.field) == ("MAPPING_OWN_INSTITUTION", "fixmedins_code")
    with pytest.raises(BusinessError) as info:
        _submit(ready, actor=make_actor(Role.INSTITUTION, username="unbound"))
    assert info.value.code == "MAPPING_OWN_INSTITUTION"
    with pytest.raises(BusinessError) as info:
        _submit(ready, actor=operator(code="H00000000000"), fixmedins_code="H00000000000")
    assert info.value.code == "INSTITUTION_NOT_FOUND"
    with pytest.raises(BusinessError) as info:
        _submit(ready, actor=reviewer())
    assert info.value.code == "AUTH_FORBIDDEN"  # reviewers approve, they do not submit
    assert _count(ready) == 0


def test_operators_see_only_their_own_institutions_mappings(ready: Container) -> None:
    mine = _submit(ready)
    other = _submit(ready, actor=operator("H43990200001", "439902"), fixmedins_code="H43990200001")
    with ready.uow(operator()) as uow:
        assert [m.id for m in service.list_mappings(uow=uow).items] == [mine.id]
        assert [m.id for m in service.list_mappings(uow=uow, fixmedins_code="H43990200001").items] == [
            mine.id
        ]
        with pytest.raises(BusinessError) as info:
            service.get_mapping(uow=uow, mapping_id=other.id)
        assert info.value.code == "MAPPING_NOT_FOUND"


def test_reviewers_see_and_decide_only_in_their_region(ready: Container) -> None:
    other = _submit(ready, actor=operator("H43990200001", "439902"), fixmedins_code="H43990200001")
    with ready.uow(reviewer("439901")) as uow:
        assert service.list_mappings(uow=uow).total == 0
        with pytest.raises(BusinessError) as info:
            service.approve_mapping(uow=uow, mapping_id=other.id)
        assert info.value.code == "MAPPING_NOT_FOUND"
    with ready.uow(reviewer("439902")) as uow:
        assert service.list_mappings(uow=uow, status="submitted").total == 1
        assert service.approve_mapping(uow=uow, mapping_id=other.id).status == "approved"


def test_an_admin_may_submit_for_any_institution_in_its_regions(ready: Container, admin: Actor) -> None:
    assert _submit(ready, actor=admin).status == "submitted"
    with pytest.raises(BusinessError) as info:
        _submit(ready, actor=make_actor(Role.ADMIN, regions=("439902",)), medins_list_codg="YP-2")
    assert info.value.code == "INSTITUTION_NOT_FOUND"
