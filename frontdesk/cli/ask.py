"""`ask "question"`: show what the desk would decide for one question, and why."""

from __future__ import annotations

import argparse
import json

from frontdesk.cli.common import add_data_options, knowledge_from, settings_from
from intents.understand import understand


def register(sub: argparse._SubParsersAction) -> None:
    """Register the `ask` command."""
    parser = sub.add_parser("ask", help="show the decision, intent and top FAQ candidates for a question")
    parser.add_argument("question")
    add_data_options(parser, db=False)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--explain", action="store_true", help="show which words matched and which were missing")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the decision for the question."""
    settings = settings_from(args)
    kb = knowledge_from(settings).current
    seen = understand(args.question, kb.intents, kb.matcher, settings.matching)
    candidates = seen.ranked
    if args.json:
        print(json.dumps({
            "decision": seen.kind if seen.intent is None or seen.kind != "handoff" else "handoff",
            "intent": seen.intent.name if seen.intent else None,
            "candidates": [{"id": c.entry_id, "score": round(c.score, 1), "question": c.question}
                           for c in candidates],
            "thresholds": {"answer": settings.matching.answer, "suggest": settings.matching.suggest},
        }, ensure_ascii=False))
        return 0
    print(f"decision: {seen.kind}")
    print(f"intent:   {seen.intent.name + ' (' + seen.intent.phrase + ')' if seen.intent else '-'}")
    print(f"thresholds: answer >= {settings.matching.answer:g}, suggest >= {settings.matching.suggest:g}")
    print("candidates:")
    for c in candidates:
        print(f"  {c.score:5.1f}  {c.entry_id:<28} {c.question}")
    if args.explain:
        print("why:")
        for line in kb.matcher.explain(args.question, limit=3):
            print(f"  {line}")
    return 0
