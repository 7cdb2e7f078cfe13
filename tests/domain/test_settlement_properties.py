"""Properties of the settlement calculation over random policies, people, bills and sequences."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.domain.test_settlement_examples import assert_identities
from yibao.domain.policy import Policy, parse_policy
from yibao.domain.settlement import (
    Breakdown,
    CatalogFacts,
    FeeLine,
    PersonFacts,
    VisitFacts,
    reverse_delta,
    settle,
)

ratios = st.integers(min_value=0, max_value=100).map(lambda p: f"{p / 100:.2f}")
small_yuan = st.integers(min_value=0, max_value=3_000)
GROUPS = ["2302", "2303", "2304"]


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    bands: list[dict[str, Any]] = []
    edge = 0
    for _ in range(draw(st.integers(0, 2))):
        edge += draw(st.integers(1, 50_000))
        bands.append({"upto": edge, "ratio_add": draw(st.sampled_from(["-0.05", "0", "0.02", "0.05"]))})
    if bands:
        bands.append({"ratio_add": draw(st.sampled_from(["0", "0.03"]))})
    levels = ("1", "2", "3")
    document: dict[str, Any] = {
        "admdvs": "439901",
        "insutype": "310",
        "name": "随机政策",
        "version": "p",
        "begin": "2024-01-01",
        "hifp_fund_pay_type": "310100",
        "caps": {"pool": draw(st.integers(1, 200_000)), "outpatient": draw(st.integers(1, 5_000))},
        "default_selfpay_ratio": draw(ratios),
        "benefits": [
            {
                "category": "inpatient",
                "med_types": ["2101"],
                "deductible": {lv: draw(small_yuan) for lv in levels},
                "repeat_factors": draw(st.lists(ratios, min_size=1, max_size=3)),
                "ratio": {lv: draw(ratios) for lv in levels},
                "retired_add": draw(st.sampled_from(["0", "0.03"])),
                "bands": bands,
                "group_tilts": {
                    g: {"deductible_factor": draw(ratios), "ratio_add": "0.05"} for g in GROUPS[:1]
                },
                "caps": ["pool"],
            },
            {
                "category": "outpatient",
                "med_types": ["11"],
                "deductible": {lv: draw(small_yuan) for lv in levels},
                "deductible_scope": "year",
                "ratio": {lv: draw(ratios) for lv in levels},
                "caps": ["outpatient"],
            },
        ],
    }
    if draw(st.booleans()):
        document["cvlserv"] = {"ratio": draw(ratios), "yearly_cap": draw(st.integers(0, 20_000))}
    if draw(st.booleans()):
        document["hifmi"] = {
            "base": draw(st.sampled_from(["over_basic_cap", "personal_burden"])),
            "deductible": draw(st.integers(0, 20_000)),
            "tiers": [
                {"upto": draw(st.integers(1, 100_000)), "ratio": draw(ratios)},
                {"ratio": draw(ratios)},
            ],
            "yearly_cap": draw(st.one_of(st.none(), st.integers(0, 300_000))),
            "group_tilts": {"2303": {"deductible_factor": "0.5", "ratio_add": "0.05"}},
        }
    if draw(st.booleans()):
        document["maf"] = {
            "groups": {
                g: {"ratio": draw(ratios), "yearly_limit": draw(st.integers(0, 60_000))} for g in GROUPS
            },
            "include_preselfpay": draw(st.booleans()),
        }
    if draw(st.booleans()):
        document["account"] = {
            "pays_fulamt": draw(st.booleans()),
            "pays_overlmt": draw(st.booleans()),
            "pays_preselfpay": draw(st.booleans()),
            "pays_inscp": draw(st.booleans()),
        }
    return parse_policy(document)


@st.composite
def fee_lines(draw: st.DrawFn) -> list[FeeLine]:
    lines = []
    for i in range(draw(st.integers(1, 8))):
        quantity = Decimal(draw(st.integers(1, 20)))
        price = Decimal(draw(st.integers(1, 500_000)))
        klass = draw(st.sampled_from(["01", "02", "03", None]))
        item = None
        if klass is not None:
            cap = draw(st.one_of(st.none(), st.integers(1, 500_000).map(Decimal)))
            ratio = draw(st.one_of(st.none(), ratios.map(Decimal)))
            item = CatalogFacts(klass, selfpay_ratio=ratio, price_cap=cap)
        amount = int(price * quantity)
        lines.append(FeeLine(sn=str(i), amount=amount, price=price, quantity=quantity, item=item))
    return lines


people = st.builds(
    PersonFacts,
    retired=st.booleans(),
    groups=st.frozensets(st.sampled_from(GROUPS), max_size=2),
    civil_servant=st.booleans(),
    account_balance=st.integers(0, 2_000_000),
)
visits = st.builds(
    VisitFacts, med_type=st.sampled_from(["2101", "11", "41"]), level=st.sampled_from(["1", "2", "3"])
)


def _non_negative(b: Breakdown) -> None:
    for name in (
        "medfee_sumamt",
        "fulamt_ownpay_amt",
        "overlmt_selfpay",
        "preselfpay_amt",
        "inscp_scp_amt",
        "act_pay_dedc",
        "hifp_pay",
        "pool_prop_selfpay",
        "cvlserv_pay",
        "hifmi_pay",
        "maf_pay",
        "fund_pay_sumamt",
        "psn_part_amt",
        "acct_pay",
        "psn_cash_pay",
        "balc",
    ):
        assert getattr(b, name) >= 0, (name, b)
    for split in b.lines:
        assert split.fulamt_ownpay + split.overlmt_selfpay + split.preselfpay + split.inscp == split.amount
        assert min(split.fulamt_ownpay, split.overlmt_selfpay, split.preselfpay, split.inscp) >= 0


def _within_limits(policy: Policy, ledger: Counter[str]) -> None:
    for name, cap in policy.caps.items():
        assert ledger[f"cap:{name}"] <= cap
    if policy.hifmi is not None and policy.hifmi.yearly_cap is not None:
        assert ledger["hifmi_paid"] <= policy.hifmi.yearly_cap
    if policy.cvlserv is not None and policy.cvlserv.yearly_cap is not None:
        assert ledger["cvlserv"] <= policy.cvlserv.yearly_cap
    if policy.maf is not None:
        assert ledger["maf_paid"] <= max(g.yearly_limit or 0 for g in policy.maf.groups.values())
    for rule in policy.benefits:
        if rule.deductible_scope == "year":
            assert ledger[f"dedc:{rule.category.value}"] <= max(rule.deductible.values(), default=0)
    assert all(value >= 0 for value in ledger.values())


@settings(max_examples=150, deadline=None)
@given(policy=policies(), person=people, visit=visits, lines=fee_lines())
def test_identities_hold_and_no_amount_is_negative(
    policy: Policy, person: PersonFacts, visit: VisitFacts, lines: list[FeeLine]
) -> None:
    b = settle(policy=policy, person=person, visit=visit, lines=lines, ledger={})
    assert_identities(b)
    _non_negative(b)
    assert b.acct_pay <= person.account_balance


@settings(max_examples=80, deadline=None)
@given(
    policy=policies(),
    person=people,
    bills=st.lists(st.tuples(visits, fee_lines(), st.booleans()), min_size=1, max_size=6),
)
def test_no_cap_or_limit_is_ever_exceeded_and_reversal_restores_the_ledger(
    policy: Policy, person: PersonFacts, bills: list[tuple[VisitFacts, list[FeeLine], bool]]
) -> None:
    ledger: Counter[str] = Counter()
    kept: list[Breakdown] = []
    balance = person.account_balance
    for visit, lines, reverse_it in bills:
        before = Counter(ledger)
        b = settle(
            policy=policy,
            person=PersonFacts(
                retired=person.retired,
                groups=person.groups,
                civil_servant=person.civil_servant,
                account_balance=balance,
            ),
            visit=visit,
            lines=lines,
            ledger=ledger,
        )
        assert_identities(b)
        _non_negative(b)
        ledger.update(b.ledger_delta)
        balance -= b.acct_pay
        _within_limits(policy, ledger)
        if reverse_it:
            ledger.update(reverse_delta(b.ledger_delta))
            balance += b.acct_pay
            assert +ledger == +before  # exactly the counters before this bill
        else:
            kept.append(b)
    assert balance == person.account_balance - sum(b.acct_pay for b in kept)
