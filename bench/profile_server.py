"""Where the server's time goes under load: py-spy samples `cxbot run` while 50 conversations talk.

    .venv/bin/python -m bench.profile_server [--seconds 30] [--concurrency 50]
    .venv/bin/python -m bench.profile_server --pid PID --seconds 30   (a server already under load,
                                                                      e.g. during `make bench`)

Needs the `bench` extra (py-spy, pinned in pyproject.toml). Prints the functions with the largest
share of samples, inclusive (time in the function and everything it calls) and self.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.limits import server_env
from bench.load import drive
from tests.support.e2e_server import RunningServer


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--pid", type=int, help="sample this running server instead of starting one")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if args.pid:
        profile_pid(py_spy, args)
    else:
        profile_own_server(py_spy, args)


if __name__ == "__main__":
    main()
