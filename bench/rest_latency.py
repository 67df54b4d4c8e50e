"""Latency of one message through the REST channel (router, storage, sentiment, Rasa).

Start the product first (`make run`), then:
    .venv/bin/python -m bench.rest_latency --url http://127.0.0.1:8000 --messages 200
Sends FAQ questions one at a time from a few customers on loopback and prints p50/p95/p99.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import requests

QUESTIONS = [
    "where is my order?",
    "how much is delivery",
    "can I pay with paypal",
    "how do I return something",
    "hello",
    "when will I get my refund",
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    session = requests.Session()
    session.get(f"{args.url}/health", timeout=5).raise_for_status()
    timings = []
    for i in range(args.messages):
        body = {"sender": f"bench-{i % 10}", "message": QUESTIONS[i % len(QUESTIONS)]}
        started = time.perf_counter()
        response = session.post(f"{args.url}/webhooks/rest/webhook", json=body, timeout=60)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        done = int(30 * (i + 1) / args.messages)
        sys.stderr.write(f"\r[{'#' * done}{'.' * (30 - done)}] {i + 1}/{args.messages}")
    sys.stderr.write("\n")
    print(
        f"{args.messages} messages, one at a time: "
        f"p50 {percentile(timings, 0.5):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms, "
        f"p99 {percentile(timings, 0.99):.1f} ms, mean {statistics.mean(timings):.1f} ms"
    )


if __name__ == "__main__":
    main()
