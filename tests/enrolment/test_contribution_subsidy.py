"""Contribution subsidy (参保资助): a special group's individual part is paid by the government."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import add_region
from tests.settlement.helpers import load_policy, person_id
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.enrolment import service


@pytest.mark.parametrize(
    ("group", "individual", "subsidy"), [("2304", 0, 38_000), ("2303", 19_000, 19_000), (None, 38_000, 0)]
)
def test_the_group_share_moves_from_the_individual_part_to_the_subsidy(
    container: Container, group: str | None, individual: int, subsidy: int
) -> None:
    """contribution_subsidies: 2304 特困 fully subsidised, 2303 低保 50%; nobody else (the clean twin)."""
    add_region(container)
    load_policy(container, "439901-390-2024.toml")
    with container.uow(SYSTEM) as uow:
        psn_no = service.enrol(
            uow=uow,
            certno=person_id(31),
            name="赵居民",
            admdvs="439901",
            insutype="390",
            psn_type="1701",
            begin=date(2024, 1, 1),
            idet_type=group,
        ).psn_no
    with container.uow(SYSTEM) as uow:
        relation = service.list_relations(uow=uow, psn_no=psn_no)[0]
        row = service.record_contribution(
            uow=uow, psn_no=psn_no, relation_id=relation.id, period="2024", individual_fen=38_000
        )
    assert (row.individual_fen, row.subsidy_fen) == (individual, subsidy)
    assert row.individual_fen + row.subsidy_fen == 38_000
