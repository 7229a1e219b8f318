"""Evaluation metrics on a tiny hand-computed case, and reading labelled queries."""

from __future__ import annotations

import pytest

from frontdesk.evaluation import evaluate, load_queries
from frontdesk.yamlfile import DataFileError
from intents.matching import Candidate, MatchDecision


def ranked(*ids: str) -> list[Candidate]:
    return [Candidate(entry_id, 90.0 - 10 * i, entry_id) for i, entry_id in enumerate(ids)]


# query -> (decision kind, ranked entries), and what each query should be
JUDGED = {
    "q1": ("answer", ranked("a", "b", "c")),     # expected a: top1, top3, answered correctly
    "q2": ("answer", ranked("b", "a", "c")),     # expected a: top3 only, answered WRONG
    "q3": ("suggest", ranked("c", "d", "a")),    # expected a: top3, suggested correctly
    "q4": ("suggest", ranked("c", "d", "e", "a")),  # expected a: not in top 3, not among the choices
    "q5": ("handoff", ranked("a")),              # expected a: top1, top3, handed off
    "q6": ("answer", ranked("x")),               # out of scope, answered
    "q7": ("suggest", ranked("x")),              # out of scope, suggested
    "q8": ("handoff", []),                       # out of scope, handed off
    "q9": ("urgent", ranked("a")),               # expected a: top1/top3; an intent kind counts as no decision
}
QUERIES = [("q1", "a"), ("q2", "a"), ("q3", "a"), ("q4", "a"), ("q5", "a"), ("q6", None), ("q7", None),
           ("q8", None), ("q9", "a")]


def test_metrics_on_a_hand_computed_case():
    progress = []
    result = evaluate(lambda q: JUDGED[q], QUERIES, progress=lambda done, total: progress.append((done, total)))
    assert (result["in_scope"], result["out_of_scope"]) == (6, 3)
    assert result["top1"] == pytest.approx(3 / 6)              # q1 q5 q9
    assert result["top3"] == pytest.approx(5 / 6)              # q1 q2 q3 q5 q9
    assert result["answered_correct"] == pytest.approx(1 / 6)  # q1
    assert result["answered_wrong"] == pytest.approx(1 / 6)    # q2
    assert result["suggested_correct"] == pytest.approx(1 / 6)  # q3
    assert result["oos_answered"] == pytest.approx(1 / 3)      # q6
    assert result["oos_suggested"] == pytest.approx(1 / 3)     # q7
    assert set(result["ms_per_query"]) == {"median", "p99"}
    assert 0 <= result["ms_per_query"]["median"] <= result["ms_per_query"]["p99"]
    assert progress[-1] == (9, 9) and len(progress) == 9


def test_a_decision_object_says_which_choices_were_offered():
    offered_a = MatchDecision("suggest", tuple(ranked("c", "a")))
    offered_c = MatchDecision("suggest", tuple(ranked("c")))
    both = evaluate(lambda q: (offered_a if q == "one" else offered_c, ranked("c", "d", "a")),
                    [("one", "a"), ("two", "a")])
    assert both["suggested_correct"] == pytest.approx(1 / 2)
    assert both["top3"] == pytest.approx(1.0)


def test_no_out_of_scope_queries_gives_zero_rates():
    result = evaluate(lambda q: ("answer", ranked("a")), [("q", "a")])
    assert (result["oos_answered"], result["oos_suggested"], result["out_of_scope"]) == (0.0, 0.0, 0)


def test_load_queries_reads_ids_and_out_of_scope(tmp_path):
    path = tmp_path / "queries.tsv"
    path.write_text("query\texpected_id\n健康码变黄了怎么办\thealth-code-yellow\n\n帮我订机票\t\nbook a taxi\n",
                    encoding="utf-8")
    assert load_queries(path) == [("健康码变黄了怎么办", "health-code-yellow"), ("帮我订机票", None),
                                  ("book a taxi", None)]


@pytest.mark.parametrize(("text", "where"), [
    ("question\tid\nq\ta\n", ":1: (header)"),
    ("query\texpected_id\nok\ta\ntoo\tmany\tfields\n", ":3: (line)"),
    ("query\texpected_id\n\ta\n", ":2: query"),
    ("query\texpected_id\nq\tnot an id\n", ":2: expected_id"),
])
def test_load_queries_names_the_bad_line(tmp_path, text, where):
    path = tmp_path / "queries.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_queries(path)
    assert where in str(caught.value)


def test_load_queries_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="file not found"):
        load_queries(tmp_path / "nope.tsv")
