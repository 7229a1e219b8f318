"""Benchmark the case store: full case cycles per second with 1 and 10 operators, and /queue with 10,000 open cases.

A cycle is what a real case costs: the citizen's handoff opens it, an operator takes the head of the queue
(/take), replies through the outbox (/reply) and resolves it (/resolve), each through the operators' service
on its own connection to one SQLite file (WAL, synchronous=FULL). The 10 operators are 10 processes.

    python benchmarks/bench_queue.py [--seconds 3] [--runs 5] [--open-cases 10000] [--json]

Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from frontdesk.model import Citizen  # noqa: E402
from frontdesk.operators import OperatorDesk  # noqa: E402
from frontdesk.settings import Operator, Settings  # noqa: E402
from frontdesk.store import SqliteStore  # noqa: E402

OPERATORS = tuple(Operator(f"op{i}", f"Operator {i}") for i in range(10))
SETTINGS = Settings(operators=OPERATORS)


async def _cycles(path: str, worker: int, seconds: float) -> int:
    """Open, take, reply and resolve cases for `seconds`; return the cycles completed."""
    async with SqliteStore(path) as citizen_side, SqliteStore(path) as operator_side:
        desk = OperatorDesk(operator_side, SETTINGS)
        operator = OPERATORS[worker].id
        done = 0
        deadline = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            user = f"w{worker}-{n}"
            await citizen_side.open_case(Citizen("telegram", user, user, "市民"), reason="unmatched",
                                         priority="normal", question=f"问题 {user}", language="zh",
                                         message_id=f"{user}-1")
            taken = await desk.take(operator)
            if not taken.ok:  # another operator got the head of the queue first: take the next one
                continue
            number = taken.case.number
            await desk.reply(operator, number, "您好，已为您查询，请稍候。")
            await desk.resolve(operator, number, "已答复")
            done += 1
        return done


def _worker(path: str, worker: int, seconds: float, start, results) -> None:
    start.wait()
    results.put(asyncio.run(_cycles(path, worker, seconds)))


def cycles_per_second(operators: int, seconds: float) -> float:
    """Run `operators` processes on one fresh file for `seconds`; return completed cycles per second."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.sqlite3")
        asyncio.run(_create(path))
        context = multiprocessing.get_context("spawn")
        start, results = context.Event(), context.Queue()
        processes = [context.Process(target=_worker, args=(path, i, seconds, start, results))
                     for i in range(operators)]
        for process in processes:
            process.start()
        time.sleep(0.5)  # let every process import and get ready
        began = time.perf_counter()
        start.set()
        total = sum(results.get() for _ in processes)
        elapsed = time.perf_counter() - began
        for process in processes:
            process.join()
        return total / elapsed


async def _create(path: str) -> None:
    async with SqliteStore(path):
        pass


async def queue_timings(open_cases: int, repeats: int = 30) -> dict[str, float]:
    """Fill a file with open cases, then time /queue, /handover and the citizen's /status place lookup."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "queue.sqlite3"
        async with SqliteStore(path) as store:
            began = time.perf_counter()
            for n in range(open_cases):
                await store.open_case(Citizen("telegram", f"u{n}", f"u{n}"), reason="unmatched",
                                      priority=("normal", "normal", "high", "urgent")[n % 4],
                                      question=f"问题 {n}", language="zh")
            fill_rate = open_cases / (time.perf_counter() - began)
            desk = OperatorDesk(store, SETTINGS)

            async def timed(make) -> float:
                samples = []
                for _ in range(repeats):
                    t = time.perf_counter()
                    await make()
                    samples.append(time.perf_counter() - t)
                return statistics.median(samples) * 1000

            return {
                "open_cases": open_cases,
                "fill_cases_per_s": fill_rate,
                "queue_command_ms": await timed(lambda: desk.handle("op0", "/queue")),
                "queue_store_ms": await timed(lambda: store.queue(limit=20)),
                "status_position_ms": await timed(lambda: store.queue_position(open_cases)),
                "handover_command_ms": await timed(lambda: desk.handle("op0", "/handover")),
            }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one throughput run")
    parser.add_argument("--runs", type=int, default=5, help="throughput runs per setting (the median is reported)")
    parser.add_argument("--open-cases", type=int, default=10_000, help="open cases for the /queue timing")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    results: dict[str, object] = {}
    for operators in (1, 10):
        rates = [cycles_per_second(operators, args.seconds) for _ in range(args.runs)]
        results[f"cycles_per_s_{operators}_operators"] = statistics.median(rates)
        results[f"cycles_per_s_{operators}_operators_runs"] = [round(r, 1) for r in rates]
    results.update(asyncio.run(queue_timings(args.open_cases)))
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    print("case cycles (open -> /take -> /reply -> /resolve), one SQLite file, synchronous=FULL:")
    for operators in (1, 10):
        runs = results[f"cycles_per_s_{operators}_operators_runs"]
        print(f"  {operators:>2} operator(s): median {results[f'cycles_per_s_{operators}_operators']:.1f} cycles/s"
              f"  (runs: {', '.join(map(str, runs))})")
    print(f"with {results['open_cases']} open cases (filled at {results['fill_cases_per_s']:.0f} cases/s):")
    print(f"  /queue (command, rendered)  median {results['queue_command_ms']:.2f} ms")
    print(f"  queue() store call          median {results['queue_store_ms']:.2f} ms")
    print(f"  /status place in queue      median {results['status_position_ms']:.2f} ms")
    print(f"  /handover (command)         median {results['handover_command_ms']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
