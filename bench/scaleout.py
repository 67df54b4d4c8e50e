"""Several replicas: throughput at 50 customers with 1, 2 and 3 replicas behind HAProxy on
PostgreSQL + Redis, next to one process on SQLite and bare Rasa; and the recovery time after a
replica is killed.

    .venv/bin/python -m bench.scaleout [--customers 50] [--messages 6] [--replicas 1 2 3]

Everything runs on this machine (PostgreSQL, Redis and HAProxy from Debian packages, started
by tests/support/): the replicas share its cores, so the scaling shown is what one machine gives.
Customers send back to back (no pause): throughput is messages answered per second of wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

from bench.limits import server_env
from bench.load import LoadResult, drive, run_bare
from bench.report import quiet_rasa
from tests.support.cluster import cluster
from tests.support.e2e_server import started_server
from tests.support.postgres_server import PostgresServer
from tests.support.traffic import Traffic

HEADER = ["setup", "customers", "messages", "msg/s", "p50 ms", "p95 ms", "errors"]


def _row(label: str, result: LoadResult) -> list[str]:
    return [
        label,
        str(result.concurrency),
        str(result.messages),
        f"{result.throughput:.1f}",
        f"{result.p50:.0f}",
        f"{result.p95:.0f}",
        str(result.errors),
    ]


def _drive(url: str, customers: int, messages: int, tag: str) -> LoadResult:
    with tqdm(total=customers * messages, desc=tag, leave=False) as bar:
        return asyncio.run(drive(url, "REST", customers, messages, tag, bar))


def recovery_seconds(postgres: PostgresServer, root: Path) -> float:
    """Two replicas behind HAProxy, 20 customers retrying by message id; one replica killed:
    seconds until every customer who was waiting then has been answered."""
    with cluster(postgres, root / "recovery", replicas=2) as running:
        traffic = Traffic(running.proxy.url, prefix="bench-recovery")
        traffic.start()
        traffic.wait_for_answers(50)
        waiting = dict.fromkeys(range(traffic.customers), 0)
        with traffic._lock:
            for message_id in traffic.replies:
                customer = int(message_id.split("-")[2])
                waiting[customer] += 1
        killed = time.monotonic()
        running.replicas[0].stop(signal.SIGKILL)
        while True:
            with traffic._lock:
                answered = dict.fromkeys(range(traffic.customers), 0)
                for message_id in traffic.replies:
                    answered[int(message_id.split("-")[2])] += 1
            if all(answered[c] > waiting[c] or waiting[c] == traffic.messages for c in waiting):
                break
            time.sleep(0.05)
        seconds = time.monotonic() - killed
        traffic.finish()
        traffic.check(running.database_url)
    return seconds


def measure(customers: int, messages: int, replica_counts: list[int]) -> tuple[list[list[str]], float]:
    rows = []
    root = Path(tempfile.mkdtemp(prefix="cxbot-scaleout-"))
    for name in ("sqlite", "recovery", *(f"r{count}" for count in replica_counts)):
        (root / name).mkdir()
    # Without the rate limits, as the cluster's replicas (one test address at full speed).
    with started_server(root / "sqlite", server_env(root / "sqlite")) as single:
        rows.append(_row("1 process, SQLite", _drive(single.url, customers, messages, "sqlite")))
    postgres = PostgresServer()
    postgres.start()
    try:
        for count in replica_counts:
            with cluster(postgres, root / f"r{count}", replicas=count) as running:
                result = _drive(running.proxy.url, customers, messages, f"replicas{count}")
                rows.append(_row(f"{count} replica{'s' if count > 1 else ''}, HAProxy, PostgreSQL + Redis", result))
        recovery = recovery_seconds(postgres, root)
    finally:
        postgres.stop()
    bare = run_bare([customers], quick=False)[0]
    rows.append(_row("bare Rasa (Agent.handle_text, in-memory tracker)", bare))
    return rows, recovery


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--messages", type=int, default=6, help="per customer")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    quiet_rasa()  # bare Rasa logs every prediction at debug level otherwise
    rows, recovery = measure(args.customers, args.messages, args.replicas)
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nRecovery: {recovery:.1f} s from SIGKILL of one of two replicas to every waiting customer answered.")


if __name__ == "__main__":
    main()
