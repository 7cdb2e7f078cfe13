"""Invariants of the review arithmetic (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from yibao.domain import review as r
from yibao.domain.review import Calendar, Reason

amounts = st.integers(min_value=1, max_value=10**11)


@given(
    declared=amounts,
    share=st.fractions(min_value=0, max_value=1),
    prior=st.integers(0, 20),
    reason=st.sampled_from(list(Reason)),
)
def test_refused_never_exceeds_declared_and_total_is_refused_times_multiplier(
    declared: int, share: object, prior: int, reason: Reason
) -> None:
    refused = max(1, int(declared * share))  # type: ignore[operator]
    times = r.multiplier(reason, prior, r.DEFAULT_PARAMETERS)
    d = r.deduction(declared_fen=declared, refused_fen=refused, times=times)
    assert 0 < d.refused_fen <= d.declared_fen
    assert d.total_fen == d.refused_fen * times
    assert 1 <= times <= 10


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["H1", "H2"]),
            st.sampled_from(["S1", "S2", None]),
            st.sampled_from(["A", "B"]),
            st.integers(0, 10**9),
        ),
        max_size=40,
    )
)
def test_totals_reconcile_with_the_items(rows: list[tuple[str, str | None, str, int]]) -> None:
    totals = r.totals(rows)
    assert sum(t.amount_fen for t in totals) == sum(fen for *_, fen in rows)
    keys = [(t.fixmedins_code, t.setl_id, t.reason_code) for t in totals]
    assert len(keys) == len(set(keys)) and all(t.amount_fen > 0 for t in totals)


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(0, 30),
    holidays=st.sets(st.dates(min_value=date(2020, 1, 1), max_value=date(2031, 3, 31)), max_size=30),
)
def test_the_deadline_is_exactly_n_working_days_later(start: date, days: int, holidays: set[date]) -> None:
    cal = Calendar(holidays=frozenset(holidays))
    due = r.add_working_days(start, days, cal)
    between = [start + timedelta(days=k) for k in range(1, (due - start).days + 1)]
    assert sum(cal.is_working_day(d) for d in between) == days
    assert days == 0 or cal.is_working_day(due)


@given(
    st.lists(
        st.tuples(
            st.text("ABCDE", min_size=1, max_size=2),
            st.integers(-(10**6), 10**6),
            st.integers(-(10**6), 10**6),
        ),
        max_size=15,
        unique_by=lambda t: t[0],
    ),
    st.data(),
)
def test_declaring_exactly_the_platform_list_in_any_order_is_complete(
    rows: list[tuple[str, int, int]], data: st.DataObject
) -> None:
    platform = [r.SettlementAmounts(*row) for row in rows]
    declared = data.draw(st.permutations(platform))
    report = r.check_completeness(declared, platform)
    assert report.complete
    if platform:
        dropped = r.check_completeness(declared[1:], platform)
        assert not dropped.complete and dropped.missing == (declared[0].setl_id,)
