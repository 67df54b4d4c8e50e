"""Where the server's time goes under load: py-spy samples `cxbot run` while 50 conversations talk.

    .venv/bin/python -m bench.profile_server [--seconds 30] [--concurrency 50]
    .venv/bin/python -m bench.profile_server --pid PID --seconds 30   (a server already under load,
                                                                      e.g. during `make bench`)
    .venv/bin/python -m bench.profile_server --cpu [--messages 240] [--rounds 3]
                                  (server CPU per message: bare `rasa run` against `cxbot run`,
                                  alternating rounds, medians compared)

The CPU comparison counts the server process's own CPU time (user + system, all threads) over the
same REST messages: steadier than wall clock on a shared machine. Bare Rasa is Rasa's own server
(`rasa.core.run.serve_application`, REST channel, in-memory tracker store) on the same model with
the same in-process actions; `cxbot run` runs on SQLite with the benchmarks' content.

Needs the `bench` extra (py-spy, pinned in pyproject.toml). Prints the functions with the largest
share of samples, inclusive (time in the function and everything it calls) and self.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.limits import server_env
from bench.load import cpu_seconds, drive, install_action_context
from tests.support.e2e_server import RunningServer, free_port


def summarise(collapsed: Path, top: int) -> str:
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        total += samples
        frames = [
            f.split(" (")[0] + " " + f.split(" (")[1].split(":")[0].split("site-packages/")[-1] if " (" in f else f
            for f in stack.split(";")
        ]
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    lines = [f"{total} samples"]
    lines += ["inclusive:"] + [f"  {n / total:6.1%}  {frame[:150]}" for frame, n in inclusive.most_common(top)]
    lines += ["self:"] + [f"  {n / total:6.1%}  {frame[:150]}" for frame, n in own.most_common(top)]
    return "\n".join(lines)


def record_command(py_spy: str, pid: int, seconds: int, output: Path, nonblocking: bool = False) -> list[str]:
    """py-spy record in raw (collapsed stacks) format, 100 samples a second."""
    return [
        py_spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(seconds),
        "--rate",
        "100",
        *(["--nonblocking"] if nonblocking else []),
        "--format",
        "raw",
        "--output",
        str(output),
    ]


def profile_pid(py_spy: str, args: argparse.Namespace) -> None:
    """Sample a server someone else keeps under load; nonblocking so it is not paused."""
    with tempfile.TemporaryDirectory(prefix="cxbot-profile-") as tmp:
        raw = Path(tmp) / "profile.txt"
        subprocess.run(
            record_command(py_spy, args.pid, args.seconds, raw, nonblocking=True),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        print(summarise(raw, args.top))


def profile_own_server(py_spy: str, args: argparse.Namespace) -> None:
    """Start a server and drive REST rounds at it for as long as py-spy samples."""
    with tempfile.TemporaryDirectory(prefix="cxbot-profile-") as tmp:
        server = RunningServer(Path(tmp), server_env(Path(tmp)))
        try:
            server.wait_until_ready()
            raw = Path(tmp) / "profile.txt"
            recorder = subprocess.Popen(
                record_command(py_spy, server.process.pid, args.seconds, raw),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            from tqdm import tqdm

            deadline = time.monotonic() + args.seconds
            with tqdm(file=sys.stderr, unit="msg", desc="load while sampling") as bar:
                round_ = 0
                while time.monotonic() < deadline and recorder.poll() is None:
                    asyncio.run(drive(server.url, "REST", args.concurrency, 4, f"p{round_}", bar))
                    round_ += 1
            recorder.wait(timeout=args.seconds + 60)
            print(summarise(raw, args.top))
        finally:
            server.stop()


CPU_CUSTOMERS = 10


def serve_bare_rasa(port: int, data_dir: Path) -> None:
    """In a child process: Rasa's own server, as `rasa run` starts it, with our actions in-process."""
    from rasa.core.run import serve_application
    from rasa.core.utils import AvailableEndpoints

    from bench.report import find_model
    from bot.assistant.rasa import InProcessActionEndpoint

    install_action_context(data_dir)  # what the actions read and write, as in the product
    serve_application(
        str(find_model()),
        channel="rest",
        interface="127.0.0.1",
        port=port,
        enable_api=False,
        endpoints=AvailableEndpoints(action=InProcessActionEndpoint()),
    )


def _wait_for(url: str, process: subprocess.Popen) -> None:
    import requests

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            reply = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": "up", "message": "hi"}, timeout=5)
            if reply.status_code == 200 and reply.json():
                return
        except (requests.ConnectionError, requests.Timeout, ValueError):
            pass
        time.sleep(0.5)
    raise TimeoutError(url)


def cpu_ms_per_message(url: str, pid: int, messages: int, tag: str) -> float:
    """Server CPU time per message over `messages` REST messages from CPU_CUSTOMERS customers,
    after a warm-up round (first parse, first queries)."""
    from tqdm import tqdm

    with tqdm(file=sys.stderr, unit="msg", desc=tag, leave=False) as bar:
        asyncio.run(drive(url, "REST", CPU_CUSTOMERS, 8, f"{tag}warm", bar))
        before = cpu_seconds(pid)
        load = asyncio.run(drive(url, "REST", CPU_CUSTOMERS, messages // CPU_CUSTOMERS, tag, bar))
        used = cpu_seconds(pid) - before
    if load.errors:
        raise RuntimeError(f"{tag}: {load.errors} messages got no reply")
    return used * 1000 / load.messages


def _bare_cpu(folder: Path, messages: int, one_blas_thread: bool = False) -> float:
    port = free_port()
    # `cxbot run` limits OpenBLAS to one thread (bot/app/server.py); bare Rasa can be run so too.
    env = dict(os.environ, **({"OPENBLAS_NUM_THREADS": "1"} if one_blas_thread else {}))
    with open(folder / "rasa.log", "wb") as log:
        bare = subprocess.Popen(
            [sys.executable, "-m", "bench.profile_server", "--bare-server", str(port), str(folder)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            _wait_for(f"http://127.0.0.1:{port}", bare)
            return cpu_ms_per_message(f"http://127.0.0.1:{port}", bare.pid, messages, "bare")
        finally:
            bare.terminate()
            bare.wait(timeout=60)


def _product_cpu(folder: Path, messages: int) -> float:
    server = RunningServer(folder, server_env(folder))
    try:
        server.wait_until_ready()
        return cpu_ms_per_message(server.url, server.process.pid, messages, "cxbot")
    finally:
        server.stop()


def compare_cpu(messages: int, bare_too: bool = True, rounds: int = 1) -> None:
    """Bare `rasa run` (as it comes, and with one OpenBLAS thread) and `cxbot run` (SQLite), one
    after the other, on the same messages; with `rounds` > 1 the three alternate and the medians
    are compared (one run moves by a few ms with what else the machine does)."""
    from bench.report import find_model

    if find_model() is None:
        sys.exit("no trained model for this tree: run `cxbot train` first")
    bare, bare_one, product = [], [], []
    for round_ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="cxbot-cpu-") as tmp:
            bare_dir, bare_one_dir, product_dir = (Path(tmp) / name for name in ("bare", "bare1", "product"))
            for folder in (bare_dir, bare_one_dir, product_dir):
                folder.mkdir()
            if bare_too:
                bare.append(_bare_cpu(bare_dir, messages))
                bare_one.append(_bare_cpu(bare_one_dir, messages, one_blas_thread=True))
            product.append(_product_cpu(product_dir, messages))
        print(
            f"round {round_ + 1}/{rounds}: bare {_ms(bare)}, one BLAS thread {_ms(bare_one)}, cxbot {_ms(product)}",
            file=sys.stderr,
        )
    bare_ms, bare_one_ms, product_ms = (float(np.median(v)) if v else float("nan") for v in (bare, bare_one, product))
    what = "median of " + str(rounds) + " alternating rounds" if rounds > 1 else "one round"
    print(f"server CPU per message over {messages} REST messages, {CPU_CUSTOMERS} customers ({what}):")
    print(f"  bare Rasa (rasa run, REST, in-memory tracker):   {bare_ms:6.1f} ms  {_ms(bare)}")
    print(f"  the same with OPENBLAS_NUM_THREADS=1:            {bare_one_ms:6.1f} ms  {_ms(bare_one)}")
    print(
        f"  cxbot run (SQLite):                              {product_ms:6.1f} ms  {_ms(product)}"
        f"  ({product_ms / bare_ms - 1:+.0%}; {product_ms / bare_one_ms - 1:+.0%} against one BLAS thread)"
    )


def _ms(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.1f}" for v in values) + "]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--pid", type=int, help="sample this running server instead of starting one")
    parser.add_argument("--cpu", action="store_true", help="compare server CPU per message with bare Rasa")
    parser.add_argument("--messages", type=int, default=240, help="with --cpu: messages per server")
    parser.add_argument("--no-bare", action="store_true", help="with --cpu: only cxbot run")
    parser.add_argument("--rounds", type=int, default=1, help="with --cpu: alternate this many times, compare medians")
    parser.add_argument("--bare-server", nargs=2, metavar=("PORT", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        serve_bare_rasa(int(args.bare_server[0]), Path(args.bare_server[1]))
        return
    if args.cpu:
        compare_cpu(args.messages, bare_too=not args.no_bare, rounds=args.rounds)
        return
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if args.pid:
        profile_pid(py_spy, args)
    else:
        profile_own_server(py_spy, args)


if __name__ == "__main__":
    main()
