"""Is the server still responsive with many idle widget WebSockets open?

    .venv/bin/python -m bench.idle_sockets [--sockets 1000] [--requests 50]

Starts the real server (limits raised, bench/limits.py), measures GET /health and a REST message
with no WebSocket open, then opens N WebSockets (one visitor each) that send nothing, and measures
again while they stay open. Prints a Markdown table; the target is a p95 within a few times the
baseline, with no request failing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.limits import server_env
from bench.load import percentile, rss_mb


async def latencies(session: aiohttp.ClientSession, url: str, count: int, tag: str) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {"GET /health": [], "REST message": []}
    for n in range(count):
        started = time.perf_counter()
        async with session.get(f"{url}/health") as response:
            await response.read()
            assert response.status == 200, response.status
        found["GET /health"].append(time.perf_counter() - started)
        started = time.perf_counter()
        body = {"sender": f"idle-bench-{tag}-{n // 8}", "message": "where is my order?"}
        async with session.post(f"{url}/webhooks/rest/webhook", json=body) as response:
            await response.read()
            assert response.status == 200, response.status
        found["REST message"].append(time.perf_counter() - started)
    return found


async def measure(url: str, sockets: int, requests: int) -> list[tuple[str, int, float, float]]:
    rows = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=300)) as session:
        for name, values in (await latencies(session, url, requests, "before")).items():
            rows.append((name, 0, percentile(values, 0.5), percentile(values, 0.95)))
        opened = []
        for n in range(sockets):
            opened.append(await session.ws_connect(f"{url}/widget/ws?visitor=idlebench{n:012d}", heartbeat=None))
        try:
            for name, values in (await latencies(session, url, requests, "during")).items():
                rows.append((name, len(opened), percentile(values, 0.5), percentile(values, 0.95)))
        finally:
            await asyncio.gather(*(ws.close() for ws in opened))
    return rows


def main() -> None:
    from tests.support.e2e_server import RunningServer

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cxbot-idle-") as tmp:
        server = RunningServer(Path(tmp), server_env(Path(tmp)))
        try:
            server.wait_until_ready()
            rss_before = rss_mb(server.process.pid)
            rows = asyncio.run(measure(server.url, args.sockets, args.requests))
            rss_after = rss_mb(server.process.pid)
        finally:
            server.stop()
    print("| request | idle WebSockets open | p50 ms | p95 ms |\n|---|---:|---:|---:|")
    for name, open_sockets, p50, p95 in rows:
        print(f"| {name} | {open_sockets} | {p50 * 1000:.1f} | {p95 * 1000:.1f} |")
    print(f"\nServer RSS: {rss_before:.0f} MB ready, {rss_after:.0f} MB with the sockets open.", file=sys.stdout)


if __name__ == "__main__":
    main()
