"""The labelled FAQ sets under tests/data: each FAQ loads, each label names a real entry, scope is mixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.evaluation import load_queries
from frontdesk.faq import load_faq

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SETS = [
    (ROOT / "faq.yaml", DATA / "queries.tsv", 600),
    (DATA / "dev-tax" / "faq.yaml", DATA / "dev-tax" / "queries.tsv", 200),
    (DATA / "dev-utilities" / "faq.yaml", DATA / "dev-utilities" / "queries.tsv", 200),
    (DATA / "social-security" / "faq.yaml", DATA / "social-security" / "queries.tsv", 200),
]


@pytest.mark.parametrize(("faq_path", "queries_path", "least"), SETS,
                         ids=["shipped", "dev-tax", "dev-utilities", "social-security"])
def test_labelled_set_is_consistent(faq_path, queries_path, least):
    ids = {entry.id for entry in load_faq(faq_path).entries}
    queries = load_queries(queries_path)
    assert len(queries) >= least
    assert not [q for q, expected in queries if expected is not None and expected not in ids]
    out_of_scope = sum(expected is None for _, expected in queries)
    assert out_of_scope >= 0.3 * len(queries)
    assert len({q for q, _ in queries}) == len(queries)  # no question twice
