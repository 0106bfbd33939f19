"""One hostile client against a class: does it slow the other students down?

    .venv/bin/python bench/hostile.py [--students 50] [--steps 40] [--sockets 500]

Starts sipflows under uvicorn as `make run` serves it (one process, SQLite, the in-memory
channel layer, the default limits), one live session, and STUDENTS students, each from an
address of its own on the loopback network (127.0.1.x), following it. The instructor takes
STEPS steps; per student, the time from the instructor's action to the student's frame is
measured, first in a quiet run, then while a hostile client (its own process, address
127.0.0.2) tries to hold SOCKETS sockets, half solo steppers and half on the live session,
each sending actions as fast as it can and opening again whatever is closed. Prints the
students' p50/p95 in both runs, the p95 ratio, and what the hostile client managed.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fanout import ROOT, SEQ, free_port, prepare_library, wait_for_port  # noqa: E402

STEP_INTERVAL = 0.15
HOSTILE_ADDRESS = "127.0.0.2"


def student_address(index: int) -> str:
    return f"127.0.1.{index + 1}"


async def measure_class(port, code, cookie, labels, students, steps) -> dict:
    origin = {"Origin": f"http://127.0.0.1:{port}"}
    url = f"ws://127.0.0.1:{port}/ws/live/{code}/"
    received: list[dict[int, float]] = [{} for _ in range(students)]

    async def follow(index: int) -> None:
        async with websockets.connect(
            url,
            additional_headers=origin,
            local_addr=(student_address(index), 0),
            close_timeout=0.5,
            max_size=None,
        ) as ws:
            async for text in ws:
                if match := SEQ.search(text):
                    received[index].setdefault(int(match[1]), time.perf_counter())

    tasks = [asyncio.create_task(follow(i)) for i in range(students)]
    headers = {**origin, "Cookie": f"sessionid={cookie}"}
    sent: dict[int, float] = {}
    async with websockets.connect(url, additional_headers=headers, max_size=None) as teacher:
        seq = -1
        while seq < 0:
            if match := SEQ.search(await asyncio.wait_for(teacher.recv(), 10)):
                seq = int(match[1])
        deadline = time.monotonic() + 20
        while not all(seq in r for r in received) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for step in range(steps):
            label = labels[(step + seq + 1) % len(labels)]
            sent[seq + 1] = time.perf_counter()
            await teacher.send(json.dumps({"action": "goto", "label": label}))
            seq += 1
            deadline = time.monotonic() + 3  # a frame later than this counts as lost
            while not all(seq in r for r in received) and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            await asyncio.sleep(max(0.0, sent[seq] + STEP_INTERVAL - time.perf_counter()))
    for task in tasks:
        task.cancel()
    latencies = sorted((r[s] - at) * 1000 for r in received for s, at in sent.items() if s in r)
    lost = students * steps - len(latencies)
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] if latencies else 0
    return {"p50": statistics.median(latencies) if latencies else 0, "p95": p95, "lost": lost}


def hostile(port: int, slug: str, code: str, sockets: int, report, stop) -> None:
    """The hostile client, in a process of its own: as many flooding sockets as it can."""
    counts = {"opened": 0, "refused": 0, "closed": 0, "frames": 0, "peak": 0}
    open_now = [0]

    async def one(index: int) -> None:
        path = f"/ws/flows/{slug}/" if index % 2 else f"/ws/live/{code}/"
        flood = '{"action": "next"}' if index % 2 else '{"action": "explore"}'
        while not stop.is_set():
            try:
                async with websockets.connect(
                    f"ws://127.0.0.1:{port}{path}",
                    additional_headers={"Origin": f"http://127.0.0.1:{port}"},
                    local_addr=(HOSTILE_ADDRESS, 0),
                    close_timeout=0.2,
                    max_size=None,
                ) as ws:
                    counts["opened"] += 1
                    open_now[0] += 1
                    counts["peak"] = max(counts["peak"], open_now[0])
                    try:
                        reader = asyncio.create_task(_drain(ws))
                        while not stop.is_set() and not reader.done():
                            await ws.send(flood)
                            counts["frames"] += 1
                            await asyncio.sleep(0)
                    finally:
                        open_now[0] -= 1
                counts["closed"] += 1
            except websockets.InvalidStatus:
                counts["refused"] += 1
                await asyncio.sleep(0.05)
            except (OSError, websockets.WebSocketException, TimeoutError):
                counts["closed"] += 1
                await asyncio.sleep(0.05)

    async def main() -> None:
        tasks = [asyncio.create_task(one(i)) for i in range(sockets)]
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
        for task in tasks:
            task.cancel()

    asyncio.run(main())
    report.put(counts)


async def _drain(ws) -> None:
    async for _ in ws:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--sockets", type=int, default=500)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sipflows-hostile-"))
    env = {
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
    }
    code, cookie, labels = prepare_library(env)
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "sipflows.asgi:application", "--port", str(port)),
            *("--log-level", "critical", "--backlog", "4096", "--ws", "websockets-sansio"),
            *("--ws-per-message-deflate", "false", "--ws-max-size", "4096"),
        ],
        cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "sipflows.settings"},
    )
    try:
        wait_for_port(port)
        run = (port, code, cookie, labels, args.students, args.steps)
        quiet = asyncio.run(measure_class(*run))
        print(f"{args.students} students (one address each), {args.steps} steps; ms", flush=True)
        print(f"quiet:   p50 {quiet['p50']:7.1f}  p95 {quiet['p95']:7.1f}  lost {quiet['lost']}")
        report, stop = multiprocessing.Queue(), multiprocessing.Event()
        attacker = multiprocessing.Process(
            target=hostile, args=(port, "consultation-hold", code, args.sockets, report, stop)
        )
        attacker.start()
        time.sleep(3)  # let it open what it can and start flooding
        loud = asyncio.run(measure_class(*run))
        stop.set()
        counts = report.get(timeout=30)
        attacker.join(timeout=5)
        attacker.kill()
    finally:
        server.terminate()
        server.wait()
    print(f"hostile: p50 {loud['p50']:7.1f}  p95 {loud['p95']:7.1f}  lost {loud['lost']}")
    print(f"p95 ratio (hostile / quiet): {loud['p95'] / quiet['p95']:.2f}")
    print(
        f"hostile client ({args.sockets} sockets wanted): at most {counts['peak']} open at once, "
        f"{counts['opened']} opened, {counts['refused']} refused, {counts['closed']} closed "
        f"by the server, {counts['frames']} frames sent"
    )


if __name__ == "__main__":
    main()
