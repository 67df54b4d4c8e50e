"""Speed and cost of the running product, next to bare Rasa on the same model.

    .venv/bin/python -m bench.load [--quick]
    .venv/bin/python -m bench.load --levels 10 50 --transports REST   (a focused before/after run)

Starts the real server (`cxbot run --no-train`, tests/support/e2e_server.py) on loopback with a fresh
SQLite store, measures cold start (process start to GET /health = 200) and RSS, then drives N
concurrent conversations (1, 10, 50, 200) through the REST channel and the widget WebSocket: each
conversation sends its messages one after another and waits for the replies; latency is per
message, throughput is messages answered per second of wall clock. Bare Rasa is
`Agent.handle_text` on the same model in this process (in-memory tracker, same in-process
actions), with the same concurrency, so the product's overhead (HTTP, router, storage, sentiment,
SQL tracker store) is a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from tqdm import tqdm

QUESTIONS = [
    "where is my order?",
    "how much is delivery",
    "can I pay with paypal",
    "how do I return something",
    "hello",
    "when will I get my refund",
    "do you ship abroad",
    "thanks",
]
CONCURRENCY = (1, 10, 50, 200)
QUICK_CONCURRENCY = (1, 4)
# A conversation is the 8 questions above; a customer then starts a new one (new sender id).
# Rasa's cost per message grows with the conversation's length, so one 300-message conversation
# would measure Rasa's slowest case, not chat traffic.
CONVERSATION_LENGTH = len(QUESTIONS)
# Paced runs: each customer pauses this long after a reply before the next message (people read
# and type for several seconds; 2 s is on the busy side). The latency targets only make sense
# with a pause: back to back, N customers wait N / throughput on average (Little's law).
THINK_S = 2.0
# 50 is the level; 10 shows what the product serves when it is not saturated.
PACED_LEVELS = (10, 50)
# One customer who never pauses: the cost of message 300 against message 10 of the same sender.
LONG_MESSAGES, QUICK_LONG_MESSAGES = 300, 30
LONG_WINDOW = 5  # each point is the median of the messages this many before and after it


def messages_per_customer(concurrency: int, quick: bool) -> int:
    return 3 if quick else max(4, 300 // concurrency)


def sender_of(customer: str, index: int) -> str:
    return f"{customer}-{index // CONVERSATION_LENGTH}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


@dataclass
class LoadResult:
    transport: str
    concurrency: int
    messages: int
    p50: float
    p95: float
    p99: float
    throughput: float
    errors: int
    # Server CPU seconds (all threads) per message, in ms: steadier than wall clock on a shared machine.
    cpu_ms: float | None = None


def summarise(transport: str, concurrency: int, latencies: list[float], seconds: float, errors: int) -> LoadResult:
    return LoadResult(
        transport,
        concurrency,
        len(latencies),
        percentile(latencies, 0.5),
        percentile(latencies, 0.95),
        percentile(latencies, 0.99),
        len(latencies) / seconds,
        errors,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children is not needed: the server is one process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def rest_customer(
    session: aiohttp.ClientSession, url: str, customer: str, count: int, latencies: list[float], bar: tqdm, think: float
) -> int:
    errors = 0
    for i in range(count):
        started = time.perf_counter()
        message = {"sender": sender_of(customer, i), "message": QUESTIONS[i % len(QUESTIONS)]}
        async with session.post(f"{url}/webhooks/rest/webhook", json=message) as response:
            body = await response.json()
            ok = response.status == 200 and isinstance(body, list) and body
        latencies.append((time.perf_counter() - started) * 1000)
        errors += not ok
        bar.update(1)
        await asyncio.sleep(think)
    return errors


async def ws_customer(
    session: aiohttp.ClientSession, url: str, customer: str, count: int, latencies: list[float], bar: tqdm, think: float
) -> int:
    errors = 0
    for first in range(0, count, CONVERSATION_LENGTH):  # one widget visitor per conversation
        async with session.ws_connect(f"{url}/widget/ws?visitor={sender_of(customer, first)}") as ws:
            for i in range(first, min(count, first + CONVERSATION_LENGTH)):
                client_id = f"{customer}-{i}"
                started = time.perf_counter()
                await ws.send_str(
                    json.dumps({"type": "message", "id": client_id, "text": QUESTIONS[i % len(QUESTIONS)]})
                )
                while True:  # skip pushed events until our replies (or an error for this id) arrive
                    event = json.loads((await ws.receive(timeout=120)).data)
                    if event.get("reply_to") == client_id:
                        break
                latencies.append((time.perf_counter() - started) * 1000)
                errors += event["type"] != "replies" or not event["messages"]
                bar.update(1)
                await asyncio.sleep(think)
    return errors


async def drive(
    url: str, transport: str, concurrency: int, count: int, tag: str, bar: tqdm, think: float = 0.0
) -> LoadResult:
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency + 5)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=600)) as session:
        run = rest_customer if transport == "REST" else ws_customer

        async def customer(n: int) -> int:
            await asyncio.sleep(think * n / concurrency)  # paced customers start spread out
            return await run(
                session,
                url,
                f"bench{tag}{transport}{concurrency}{'p' if think else ''}x{n:05d}",
                count,
                latencies,
                bar,
                think,
            )

        started = time.perf_counter()
        errors = await asyncio.gather(*(customer(n) for n in range(concurrency)))
        seconds = time.perf_counter() - started
    label = f"{transport}, paced ({think:g} s pause)" if think else transport
    return summarise(label, concurrency, latencies, seconds, sum(errors))


async def drive_bare(agent, concurrency: int, count: int, bar: tqdm) -> LoadResult:
    latencies: list[float] = []
    errors = 0

    async def customer(name: str) -> None:
        nonlocal errors
        for i in range(count):
            started = time.perf_counter()
            replies = await agent.handle_text(QUESTIONS[i % len(QUESTIONS)], sender_id=sender_of(name, i))
            latencies.append((time.perf_counter() - started) * 1000)
            errors += not replies
            bar.update(1)

    started = time.perf_counter()
    await asyncio.gather(*(customer(f"bare{concurrency}x{n}") for n in range(concurrency)))
    return summarise("bare Rasa", concurrency, latencies, time.perf_counter() - started, errors)


@dataclass
class LongConversation:
    messages: int
    early: int  # the message number compared (10)
    early_ms: float  # median latency of messages early +- LONG_WINDOW
    late_ms: float  # median latency of the last 2 * LONG_WINDOW + 1 messages

    @property
    def ratio(self) -> float:
        return self.late_ms / self.early_ms


@dataclass
class SpeedResults:
    cold_start_s: float
    rss_ready_mb: float
    rss_after_mb: float
    loads: list[LoadResult]
    long: LongConversation | None = None


async def long_conversation(url: str, count: int, tag: str) -> LongConversation:
    """One REST sender, `count` messages back to back; latency by position in the conversation."""
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        for i in range(count):
            started = time.perf_counter()
            message = {"sender": f"long{tag}", "message": QUESTIONS[i % len(QUESTIONS)]}
            async with session.post(f"{url}/webhooks/rest/webhook", json=message) as response:
                await response.read()
            latencies.append((time.perf_counter() - started) * 1000)
    early = min(10, count // 3)
    window = min(LONG_WINDOW, early - 1)
    return LongConversation(
        count,
        early,
        percentile(latencies[early - 1 - window : early + window], 0.5),
        percentile(latencies[-(2 * window + 1) :], 0.5),
    )


TRANSPORTS = ("REST", "WebSocket")


def run(
    quick: bool = False, levels=None, transports=TRANSPORTS, bare: bool = True, long_only: bool = False
) -> SpeedResults:
    from bench.limits import server_env
    from tests.support.e2e_server import RunningServer

    levels = levels or (QUICK_CONCURRENCY if quick else CONCURRENCY)
    paced_levels, think = ((QUICK_CONCURRENCY[-1],), 0.2) if quick else (PACED_LEVELS, THINK_S)
    paced_messages = sum(c * messages_per_customer(c, quick) for c in paced_levels) * len(transports)
    total = sum(c * messages_per_customer(c, quick) for c in levels) * (len(transports) + bare) + paced_messages
    with (
        tempfile.TemporaryDirectory(prefix="cxbot-load-") as tmp,
        tqdm(total=total, file=sys.stderr, unit="msg", dynamic_ncols=True) as bar,
    ):
        bar.set_description("starting the server")
        started = time.perf_counter()
        server = RunningServer(Path(tmp), server_env(Path(tmp)))
        try:
            server.wait_until_ready()
            cold_start = time.perf_counter() - started
            pid = server.process.pid
            rss_ready = rss_mb(pid)
            back_to_back = [(c, t, 0.0) for c in levels for t in transports]
            paced = [(c, t, think) for c in paced_levels for t in transports]
            runs = [] if long_only else back_to_back + paced
            loads = asyncio.run(drive_product(server.url, pid, runs, quick, str(int(started)), bar))
            bar.set_description("one long conversation")
            long = asyncio.run(
                long_conversation(server.url, QUICK_LONG_MESSAGES if quick else LONG_MESSAGES, str(int(started)))
            )
            rss_after = rss_mb(pid)
        finally:
            server.stop()

    if bare and not long_only:
        loads += run_bare(levels, quick)
    return SpeedResults(cold_start, rss_ready, rss_after, loads, long)


async def drive_product(
    url: str, pid: int, runs: list[tuple[int, str, float]], quick: bool, tag: str, bar: tqdm
) -> list[LoadResult]:
    """The server under each (concurrency, transport, pause) in turn, after a warm-up."""
    async with aiohttp.ClientSession() as session:  # warm-up: first parse, DB, sentiment
        for i in range(5):
            async with session.post(
                f"{url}/webhooks/rest/webhook", json={"sender": "warmup", "message": QUESTIONS[i]}
            ) as r:
                await r.read()
    loads = []
    for concurrency, transport, think in runs:
        bar.set_description(
            f"{transport} x{concurrency}, {think:g} s pause" if think else f"{transport} x{concurrency}"
        )
        cpu_before = cpu_seconds(pid)
        load = await drive(url, transport, concurrency, messages_per_customer(concurrency, quick), tag, bar, think)
        load.cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / max(1, load.messages)
        loads.append(load)
    return loads


def run_bare(levels, quick: bool) -> list[LoadResult]:
    bar = tqdm(
        total=sum(c * messages_per_customer(c, quick) for c in levels),
        file=sys.stderr,
        unit="msg",
        dynamic_ncols=True,
        desc="bare Rasa",
    )
    loads = asyncio.run(bare_rasa(levels, quick, bar))
    bar.close()
    return loads


def install_action_context(folder: Path) -> None:
    """The custom actions' content and database for bare Rasa (a fresh SQLite file in `folder`):
    without them every action fails at once, which would make bare Rasa look cheaper."""
    from bench.limits import bench_content
    from bot.app.content import load_content
    from bot.assistant.actions.support import context as action_context
    from bot.storage.database import get_session_factory, migrate

    database = f"sqlite:///{folder / 'actions.db'}"
    migrate(database)
    sessions = get_session_factory(database)
    content = load_content(bench_content(folder))
    action_context.install(action_context.ActionContext(content=content, sessions=sessions, shop_name="Bench"))


async def bare_rasa(levels, quick: bool, bar: tqdm) -> list[LoadResult]:
    from rasa.core.agent import Agent

    from bench.report import find_model
    from bot.assistant.rasa import InProcessActionEndpoint

    install_action_context(Path(tempfile.mkdtemp(prefix="cxbot-bare-")))
    agent = Agent.load(str(find_model()), action_endpoint=InProcessActionEndpoint())
    for i in range(5):
        await agent.handle_text(QUESTIONS[i], sender_id="warmup")
    return [await drive_bare(agent, c, messages_per_customer(c, quick), bar) for c in levels]


def main() -> None:
    from bench.report import print_speed

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--levels",
        type=int,
        nargs="+",
        help="concurrent conversations to try (default: {})".format(" ".join(map(str, CONCURRENCY))),
    )
    parser.add_argument("--transports", nargs="+", choices=TRANSPORTS, default=TRANSPORTS)
    parser.add_argument("--no-bare", action="store_true", help="skip bare Rasa")
    parser.add_argument("--long-only", action="store_true", help="only the one long conversation")
    args = parser.parse_args()
    from bench.report import quiet_rasa

    quiet_rasa()  # bare Rasa logs every prediction at debug level otherwise
    # The machine may be shared: the load average says how comparable two runs are.
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    speed = run(args.quick, args.levels, tuple(args.transports), not args.no_bare, args.long_only)
    print_speed(speed)
    for load in speed.loads:
        if load.cpu_ms is not None:
            print(f"server CPU per message, {load.transport} x{load.concurrency}: {load.cpu_ms:.1f} ms")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
