"""Invariants of policy documents: the stored form reads back to the same policy; a diff finds each change."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.policy.helpers import EMPLOYEES_2024, sample
from yibao.domain.money import fen_to_yuan
from yibao.domain.policy_diff import diff_documents, file_form
from yibao.policy.document import dump, load_document, parse_file

BASE = parse_file(sample(EMPLOYEES_2024))
fen = st.integers(min_value=0, max_value=10**11)
ratio = st.integers(min_value=0, max_value=10000).map(lambda n: f"{n / 10000:.4f}")


@settings(max_examples=60, deadline=None)
@given(pool=fen, outpatient=fen, level3=fen, ratio3=ratio)
def test_a_stored_document_reads_back_to_the_same_policy(
    pool: int, outpatient: int, level3: int, ratio3: str
) -> None:
    document = json.loads(dump(BASE))
    document["caps"]["pool"], document["caps"]["outpatient"] = pool, outpatient
    document["benefits"][0]["deductible"]["3"] = level3
    document["benefits"][0]["ratio"]["3"] = ratio3
    shown = file_form(document)
    policy = load_document(json.dumps(document))
    assert policy.caps["pool"] == pool and policy.benefits[0].deductible["3"] == level3
    assert json.loads(dump(policy)) == json.loads(dump(load_document(dump(policy))))
    assert shown["caps"]["outpatient"] == fen_to_yuan(outpatient)


@settings(max_examples=60, deadline=None)
@given(old=fen, new=fen)
def test_the_diff_of_one_changed_amount_is_exactly_that_key(old: int, new: int) -> None:
    before = json.loads(dump(BASE))
    after = json.loads(dump(BASE))
    before["caps"]["chronic"], after["caps"]["chronic"] = old, new
    changes = diff_documents(file_form(before), file_form(after))
    expected = [] if old == new else [("caps.chronic", fen_to_yuan(old), fen_to_yuan(new))]
    assert [(c.path, c.old, c.new) for c in changes] == expected
