"""Benchmark FAQ matching at 100, 1,000 and 10,000 entries x 5 variants: index build, memory, latency.

Run by hand: `python benchmarks/bench_matching.py [--sizes 100,1000,10000] [--queries 300]`. The FAQs are made
from the shipped faq.yaml: each generated entry takes one real entry's questions, adds two recombined
variants, and puts a place name of its own into every variant, so no two entries are alike. The queries
are variants of random entries with a filler added and a character dropped, plus out-of-scope questions.
The baseline is rapidfuzz's `process.extractOne(query, all_variants, scorer=fuzz.WRatio)` on the same data.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from frontdesk.faq import Entry, Faq, load_faq  # noqa: E402
from intents.matching import FaqMatcher  # noqa: E402

VARIANTS = 5
PLACE_HEADS = "东西南北中江河湖山海桥港林石金银松柏梅兰竹菊"
PLACE_TAILS = ("社区", "街道", "小区", "新村", "花园", "镇", "村", "苑")
FILLERS = ("请问", "你好，", "麻烦问下", "我想问一下", "")
OUT_OF_SCOPE = (
    "帮我订一张去北京的机票", "明天天气怎么样", "附近有什么好吃的饭店", "我想买房子贷款怎么办", "股票今天涨了吗",
    "怎么学好英语", "电脑开不了机怎么办", "推荐一部好看的电影", "What's the weather tomorrow?", "Book me a taxi",
)


def place_names(count: int, rng: random.Random) -> list[str]:
    """Return `count` distinct made-up place names like 江湖新村."""
    names: set[str] = set()
    while len(names) < count:
        size = rng.choice((2, 2, 3))
        names.add("".join(rng.choice(PLACE_HEADS) for _ in range(size)) + rng.choice(PLACE_TAILS))
    return sorted(names)


def with_place(question: str, place: str) -> str:
    """Put a place into a question, in the language of the question."""
    if question.isascii():
        return f"{question.rstrip('?')} in {place}?"
    return f"{place}{question}"


def generate_faq(base: Faq, size: int, rng: random.Random) -> Faq:
    """Return an FAQ of `size` entries x VARIANTS variants recombined from base."""
    places = place_names(size, rng)
    all_questions = [q for e in base.entries for q in e.questions]
    entries = []
    for number in range(size):
        source = base.entries[number % len(base.entries)]
        questions = list(source.questions)
        while len(questions) < VARIANTS:
            donor = rng.choice(source.questions)
            other = rng.choice(all_questions)
            questions.append(donor if donor.isascii() else f"{donor}，{other[: max(2, len(other) // 3)]}")
        questions = [with_place(q, places[number]) for q in questions[:VARIANTS]]
        answers = {"zh": f"{places[number]}：{source.answer('zh')}", "en": f"{places[number]}: {source.answer('en')}"}
        entries.append(Entry(f"e{number:05d}", tuple(questions), answers, keywords=source.keywords))
    return Faq(path=f"generated-{size}", entries=tuple(entries), synonyms=base.synonyms)


def make_queries(faq: Faq, count: int, rng: random.Random) -> list[str]:
    """Return queries: perturbed variants of random entries and some out-of-scope questions."""
    queries = []
    for _ in range(count):
        if rng.random() < 0.1:
            queries.append(rng.choice(OUT_OF_SCOPE))
            continue
        question = rng.choice(rng.choice(faq.entries).questions)
        if len(question) > 6 and not question.isascii():
            cut = rng.randrange(len(question))
            question = question[:cut] + question[cut + 1 :]
        queries.append(rng.choice(FILLERS) + question)
    return queries


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(share * len(ordered) + 0.999999) - 1))]


def timed(function, queries: list[str]) -> list[float]:
    """Return the milliseconds each call of function took."""
    times = []
    for query in queries:
        started = time.perf_counter()
        function(query)
        times.append((time.perf_counter() - started) * 1000.0)
    return times


def bench(base: Faq, size: int, query_count: int, seed: int) -> dict:
    """Measure one FAQ size and return the numbers."""
    rng = random.Random(seed)
    faq = generate_faq(base, size, rng)
    queries = make_queries(faq, query_count, rng)
    gc.collect()
    started = time.perf_counter()
    matcher = FaqMatcher(faq)
    build_s = time.perf_counter() - started
    del matcher
    gc.collect()
    tracemalloc.start()
    matcher = FaqMatcher(faq)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for query in queries[:10]:  # warm up
        matcher.rank(query)
    ours = timed(matcher.rank, queries)
    variants = [q for e in faq.entries for q in e.questions]
    baseline_queries = queries[: max(20, query_count // (10 if size >= 10_000 else 1))]
    baseline = timed(lambda q: process.extractOne(q, variants, scorer=fuzz.WRatio), baseline_queries)
    return {
        "entries": size,
        "variants": len(variants),
        "build_s": build_s,
        "peak_mb": peak / 2**20,
        "median_ms": statistics.median(ours),
        "p99_ms": percentile(ours, 0.99),
        "baseline_median_ms": statistics.median(baseline),
        "baseline_p99_ms": percentile(baseline, 0.99),
        "speedup": statistics.median(baseline) / statistics.median(ours),
        "queries": len(ours),
        "baseline_queries": len(baseline),
    }


def main() -> None:
    """Run the benchmark and print one line per FAQ size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faq", default=str(ROOT / "faq.yaml"))
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    base = load_faq(args.faq)
    started = time.perf_counter()
    FaqMatcher(Faq(path="warm-up", entries=base.entries[:1]))
    print(f"first matcher in this process (loads jieba's dictionary once): {time.perf_counter() - started:.2f} s")
    print(f"{'entries':>8} {'variants':>8} {'build s':>8} {'peak MB':>8} {'median ms':>10} {'p99 ms':>8} "
          f"{'WRatio median':>14} {'WRatio p99':>11} {'speed-up':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        r = bench(base, size, args.queries, args.seed)
        print(f"{r['entries']:>8} {r['variants']:>8} {r['build_s']:>8.2f} {r['peak_mb']:>8.1f} "
              f"{r['median_ms']:>10.3f} {r['p99_ms']:>8.3f} {r['baseline_median_ms']:>14.3f} "
              f"{r['baseline_p99_ms']:>11.3f} {r['speedup']:>8.1f}x", flush=True)
    print(f"(latency over {args.queries} queries; WRatio over the same queries, a tenth of them at 10,000 entries)")


if __name__ == "__main__":
    main()
