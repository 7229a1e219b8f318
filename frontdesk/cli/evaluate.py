"""`eval QUERIES.tsv`: measure how well the desk answers a labelled set of questions."""

from __future__ import annotations

import argparse
import json
import sys

from frontdesk.cli.common import add_data_options, knowledge_from, settings_from
from frontdesk.evaluation import evaluate, load_queries
from intents.understand import understand


def register(sub: argparse._SubParsersAction) -> None:
    """Register the `eval` command."""
    parser = sub.add_parser("eval", help="score the matcher on a labelled TSV (query<TAB>expected_id)")
    parser.add_argument("queries", help="TSV file with a header line query<TAB>expected_id")
    add_data_options(parser, db=False)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r  evaluating {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the result object."""
    settings = settings_from(args)
    kb = knowledge_from(settings).current
    queries = load_queries(args.queries)

    def judge(query: str):
        seen = understand(query, kb.intents, kb.matcher, settings.matching)
        return seen.kind, list(seen.decision.candidates if seen.kind == "suggest" else seen.ranked)

    result = evaluate(judge, queries, progress=_progress)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    for key, value in result.items():
        print(f"{key:>18}: {value}")
    return 0
