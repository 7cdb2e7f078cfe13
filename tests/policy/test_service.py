"""Loading policy versions: region and codes checked, no overlapping periods, idempotent, audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.factories import make_actor
from tests.policy.helpers import (
    EMPLOYEES_2024,
    RESIDENTS_2024,
    RESIDENTS_2025,
    change,
    count_versions,
    load,
    sample,
    setup_region,
)
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Role
from yibao.domain.errors import BusinessError, ErrorKind
from yibao.policy import service


@pytest.fixture
def region(container: Container) -> Container:
    setup_region(container)
    return container


def _refused(container: Container, text: str, **kwargs: object) -> BusinessError:
    before = count_versions(container)
    with pytest.raises(BusinessError) as caught:
        load(container, text, **kwargs)  # type: ignore[arg-type]
    assert count_versions(container) == before  # nothing stored
    return caught.value


def _audit(container: Container, action: str) -> list[AuditEntry]:
    with container.uow(SYSTEM) as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_loading_a_sample_stores_the_version_with_its_document_and_an_audit_row(region: Container) -> None:
    result = load(region, sample(EMPLOYEES_2024), filename=EMPLOYEES_2024)
    assert result.status == service.LOADED and result.closed == []
    row = result.policy
    assert (row.admdvs, row.insutype, row.version, row.begin, row.end) == (
        "439901",
        "310",
        "2024",
        date(2024, 1, 1),
        None,
    )
    assert row.filename == EMPLOYEES_2024 and row.loaded_by == "system" and len(row.sha256) == 64
    with region.uow(SYSTEM) as uow:
        stored = service.get_policy(uow=uow, policy_id=row.id)
        assert service.policy_of(stored).caps["pool"] == 15_000_000
        assert service.document_of(stored)["caps"]["pool"] == "150000.00"
        assert stored.source == sample(EMPLOYEES_2024)
    [audit] = _audit(region, "policy.load")
    assert audit.entity == "policy_version" and audit.entity_id == str(row.id) and audit.admdvs == "439901"


def test_loading_the_same_file_again_changes_nothing(region: Container) -> None:
    first = load(region, sample(EMPLOYEES_2024))
    again = load(region, sample(EMPLOYEES_2024), filename="copy.toml")
    assert again.status == service.UNCHANGED and again.policy.id == first.policy.id
    assert count_versions(region) == 1 and len(_audit(region, "policy.load")) == 1


def test_the_same_version_with_other_content_is_refused(region: Container) -> None:
    load(region, sample(EMPLOYEES_2024))
    error = _refused(region, change(sample(EMPLOYEES_2024), "pool", "160000"))
    assert error.code == "POLICY_VERSION_EXISTS" and error.kind is ErrorKind.CONFLICT
    assert error.field == "version" and "2024" in error.message


def test_a_new_version_inside_an_open_ended_one_closes_it_the_day_before(region: Container) -> None:
    old = load(region, sample(RESIDENTS_2024)).policy
    result = load(region, sample(RESIDENTS_2025))
    assert [c.version for c in result.closed] == ["2024"]
    with region.uow(SYSTEM) as uow:
        closed = service.get_policy(uow=uow, policy_id=old.id)
        assert closed.end == date(2024, 12, 31)
        assert service.policy_of(closed).end == date(2024, 12, 31)
    [audit] = _audit(region, "policy.close")
    assert audit.entity_id == str(old.id) and audit.after is not None
    assert load(region, sample(RESIDENTS_2024)).status == service.UNCHANGED  # reloading the old file


@pytest.mark.parametrize(
    ("begin", "end"),
    [("2023-06-01", "2024-02-01"), ("2024-01-01", None), ("2023-01-01", None)],
    ids=["bounded-over-the-start", "same-begin", "open-before"],
)
def test_any_other_overlap_is_refused_naming_the_version(
    region: Container, begin: str, end: str | None
) -> None:
    load(region, sample(RESIDENTS_2024))
    text = change(change(sample(RESIDENTS_2024), "version", '"other"'), "begin", begin)
    if end:
        text = text.replace(f"begin = {begin}", f"begin = {begin}\nend = {end}")
    error = _refused(region, text)
    assert error.code == "POLICY_OVERLAP" and error.kind is ErrorKind.CONFLICT
    assert "2024" in error.message and error.field == "begin"


def test_a_version_before_an_existing_one_without_overlap_is_accepted(region: Container) -> None:
    load(region, sample(RESIDENTS_2024))
    text = change(change(sample(RESIDENTS_2024), "version", '"2023"'), "begin", "2023-01-01")
    text = text.replace("begin = 2023-01-01", "begin = 2023-01-01\nend = 2023-12-31")
    assert load(region, text).status == service.LOADED


def test_the_region_must_be_registered(container: Container) -> None:
    error = _refused(container, sample(EMPLOYEES_2024))
    assert error.code == "POLICY_REGION" and error.field == "admdvs"


@pytest.mark.parametrize(
    ("key", "value", "path"),
    [
        ("insutype", '"999"', "insutype"),
        ("hifp_fund_pay_type", '"000000"', "hifp_fund_pay_type"),
        ("med_types", '["9999"]', "benefits.0.med_types.0"),
    ],
)
def test_codes_must_be_in_the_national_dictionaries(
    region: Container, key: str, value: str, path: str
) -> None:
    error = _refused(region, change(sample(EMPLOYEES_2024), key, value))
    assert error.code == "POLICY_CODE" and error.errors[0].field == path


def test_a_bad_document_stores_nothing_and_names_the_key(region: Container) -> None:
    error = _refused(region, change(sample(EMPLOYEES_2024), "pool", "1.5"))
    assert error.code == "POLICY_INVALID" and error.field == "caps.pool"


def test_only_administrators_load_policies(region: Container) -> None:
    clerk = make_actor(Role.CLERK, Role.REVIEWER, Role.SUPERVISOR)
    error = _refused(region, sample(EMPLOYEES_2024), actor=clerk)
    assert error.kind is ErrorKind.FORBIDDEN


def test_an_administrator_of_another_region_can_neither_load_nor_see(region: Container) -> None:
    other = make_actor(Role.ADMIN, regions=("439902",))
    error = _refused(region, sample(EMPLOYEES_2024), actor=other)
    assert error.code == "AUTH_REGION"
    row = load(region, sample(EMPLOYEES_2024)).policy
    with region.uow(other) as uow:
        assert service.list_policies(uow=uow).total == 0
        with pytest.raises(BusinessError) as caught:
            service.get_policy(uow=uow, policy_id=row.id)
        assert caught.value.code == "POLICY_NOT_FOUND"
        with pytest.raises(BusinessError):
            service.policy_in_force(uow=uow, admdvs="439901", insutype="310", on=date(2024, 5, 1))
        with pytest.raises(BusinessError):
            service.diff_policies(uow=uow, policy_id=row.id, other_id=row.id)


def test_any_signed_in_user_of_the_region_reads_policies(region: Container) -> None:
    row = load(region, sample(EMPLOYEES_2024)).policy
    with region.uow(make_actor(Role.INSTITUTION)) as uow:
        assert [r.id for r in service.list_policies(uow=uow).items] == [row.id]
        assert service.get_policy(uow=uow, policy_id=row.id).version == "2024"


def test_the_list_filters_by_region_scheme_and_day(region: Container) -> None:
    load(region, sample(EMPLOYEES_2024))
    load(region, sample(RESIDENTS_2024))
    load(region, sample(RESIDENTS_2025))
    with region.uow(SYSTEM) as uow:
        assert service.list_policies(uow=uow, admdvs="439901").total == 3
        assert service.list_policies(uow=uow, insutype="390").total == 2
        on = service.list_policies(uow=uow, insutype="390", on=date(2024, 6, 30)).items
        assert [r.version for r in on] == ["2024"]
        assert service.list_policies(uow=uow, q="职工").total == 1
        assert service.list_policies(uow=uow, admdvs="439902").total == 0


def test_the_diff_of_two_versions_is_in_file_units(region: Container) -> None:
    old = load(region, sample(RESIDENTS_2024)).policy
    new = load(region, sample(RESIDENTS_2025)).policy
    with region.uow(SYSTEM) as uow:
        changes = {c.path: c for c in service.diff_policies(uow=uow, policy_id=old.id, other_id=new.id)}
    # the closed 2024 version now ends on 2024-12-31: its end is a difference too
    assert set(changes) == {"name", "version", "begin", "end", "caps.pool", "benefits.0.ratio.3"}
    assert (changes["caps.pool"].old, changes["caps.pool"].new, changes["caps.pool"].unit) == (
        "100000.00",
        "120000.00",
        "yuan",
    )
    assert changes["benefits.0.ratio.3"].unit == "ratio"
    assert (changes["end"].old, changes["end"].new) == ("2024-12-31", None)


def test_concurrent_loads_of_overlapping_versions_store_only_one(region: Container) -> None:
    import threading

    texts = [change(sample(RESIDENTS_2024), "version", f'"v{i}"') for i in range(2)]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def run(text: str) -> None:
        barrier.wait()
        try:
            load(region, text)
            outcomes.append("loaded")
        except BusinessError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=run, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["POLICY_OVERLAP", "loaded"]
    assert count_versions(region) == 1


@pytest.mark.parametrize(("key", "value"), [("version", '""'), ("name", '"' + "长" * 129 + '"')])
def test_the_version_and_name_must_be_short_and_not_empty(region: Container, key: str, value: str) -> None:
    error = _refused(region, change(sample(EMPLOYEES_2024), key, value))
    assert error.code == "POLICY_INVALID" and error.field == key
