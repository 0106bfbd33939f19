"""Fan-out of a live walkthrough: how fast does every follower see the instructor's step?

    .venv/bin/python bench/fanout.py [--followers 50 200 1000] [--steps 50]

Starts sipflows under uvicorn (one process; SQLite and the in-memory channel layer unless
DATABASE_URL / REDIS_URL are set), starts one live session, connects N followers and the
instructor, and has the instructor take STEPS steps. For each step it measures, per follower,
the time from the instructor sending the action to the follower receiving the frame, and
counts lost and out-of-order frames. In the same run, a bare `websockets` server in its own
process broadcasts a frame of the same size to the same number of clients, timed the same way.
Prints one table row per N: p50/p95/p99 for both, lost, out of order, and the p95 ratio.
"""

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEQ = re.compile(r'data-seq="(\d+)"')
STEP_TIMEOUT = 10.0
# The instructor's pace: quicker than any person clicks, slower than the server's rate limit.
STEP_INTERVAL = 0.12

BARE_SERVER = r"""
import asyncio, sys, websockets
clients = set()
async def handler(ws):
    if ws.request.path == "/control":
        async for text in ws:
            websockets.broadcast(clients, text)
        return
    clients.add(ws)
    try:
        await ws.wait_closed()
    finally:
        clients.discard(ws)
async def main():
    async with websockets.serve(handler, "127.0.0.1", int(sys.argv[1]), max_size=None,
                                compression=None):
        await asyncio.Future()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, deadline: float = 20.0) -> None:
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing is listening on port {port}")


def prepare_library(env: dict) -> tuple[str, str, list[str]]:
    """Migrate, load the library, make an instructor and a session: (code, cookie, labels)."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipflows.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    from sipflows import services
    from sipflows.models import Flow

    call_command("migrate", verbosity=0)
    call_command("import_flows", "--keep-existing", str(ROOT / "fixtures"), verbosity=0)
    user, _ = User.objects.get_or_create(username="bench-instructor")
    flow = Flow.objects.get(slug="consultation-hold")
    session = services.live_session_start(flow=flow, owner=user)
    client = Client()
    client.force_login(user)
    return session.code, client.cookies["sessionid"].value, [s.label for s in flow.steps.all()]


class Follower:
    def __init__(self):
        self.received: dict[int, float] = {}
        self.out_of_order = 0
        self.last = -1

    def record(self, seq: int) -> None:
        if seq < self.last:
            self.out_of_order += 1
        self.last = max(self.last, seq)
        self.received.setdefault(seq, time.perf_counter())


async def follow(url: str, follower: Follower, headers: dict, ready: asyncio.Event, count):
    # A short close timeout: the run is over when the frames are in, not when sockets close.
    async with websockets.connect(
        url, additional_headers=headers, max_size=None, close_timeout=0.5
    ) as ws:
        count[0] += 1
        if count[0] == count[1]:
            ready.set()
        async for text in ws:
            match = SEQ.search(text)
            if match:
                follower.record(int(match[1]))


async def run_app(port: int, code: str, cookie: str, labels: list[str], n: int, steps: int):
    origin = {"Origin": f"http://127.0.0.1:{port}"}
    followers = [Follower() for _ in range(n)]
    ready, count = asyncio.Event(), [0, n]
    url = f"ws://127.0.0.1:{port}/ws/live/{code}/"
    tasks = [asyncio.create_task(follow(url, f, origin, ready, count)) for f in followers]
    await asyncio.wait_for(ready.wait(), 60)
    sent: dict[int, float] = {}
    frame = ""
    headers = {**origin, "Cookie": f"sessionid={cookie}"}
    async with websockets.connect(url, additional_headers=headers, max_size=None) as teacher:
        seq = int(SEQ.search(await _until_seq(teacher, 0))[1])
        await asyncio.sleep(0.5)
        for step in range(steps):
            label = labels[(step + 1) % len(labels)]
            sent[seq + 1] = time.perf_counter()
            await teacher.send(f'{{"action": "goto", "label": "{label}"}}')
            frame = await _until_seq(teacher, seq + 1)
            seq += 1
            await _all_received(followers, seq)
            await asyncio.sleep(max(0.0, sent[seq] + STEP_INTERVAL - time.perf_counter()))
    for task in tasks:
        task.cancel()
    return _measure(followers, sent), frame


async def _until_seq(ws, seq: int) -> str:
    while True:
        text = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
        match = SEQ.search(text)
        if match and int(match[1]) >= seq:
            return text


async def _all_received(followers: list[Follower], seq: int) -> None:
    deadline = time.perf_counter() + STEP_TIMEOUT
    while time.perf_counter() < deadline:
        if all(seq in f.received for f in followers):
            return
        await asyncio.sleep(0.002)


async def run_bare(port: int, frame: str, n: int, steps: int):
    followers = [Follower() for _ in range(n)]
    ready, count = asyncio.Event(), [0, n]
    url = f"ws://127.0.0.1:{port}/"
    tasks = [asyncio.create_task(follow(url, f, {}, ready, count)) for f in followers]
    await asyncio.wait_for(ready.wait(), 60)
    await asyncio.sleep(0.5)
    sent: dict[int, float] = {}
    async with websockets.connect(f"ws://127.0.0.1:{port}/control", max_size=None) as control:
        for seq in range(1, steps + 1):
            sent[seq] = time.perf_counter()
            await control.send(SEQ.sub(f'data-seq="{seq}"', frame))
            await _all_received(followers, seq)
            await asyncio.sleep(max(0.0, sent[seq] + STEP_INTERVAL - time.perf_counter()))
    for task in tasks:
        task.cancel()
    return _measure(followers, sent)


def _measure(followers: list[Follower], sent: dict[int, float]) -> dict:
    latencies = sorted(
        (f.received[seq] - at) * 1000
        for f in followers
        for seq, at in sent.items()
        if seq in f.received
    )
    expected = len(followers) * len(sent)

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(len(latencies) * p))]
            if latencies
            else float("nan")
        )

    return {
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "lost": expected - len(latencies),
        "out_of_order": sum(f.out_of_order for f in followers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--followers", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sipflows-bench-"))
    # Every follower here comes from one address, which a real server would limit.
    env = {"DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost", "SOCKETS_PER_CLIENT": "5000"}
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    code, cookie, labels = prepare_library(env)
    app_port, bare_port = free_port(), free_port()
    server_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "sipflows.settings"}
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "sipflows.asgi:application",
            "--port",
            str(app_port),
            "--log-level",
            "warning",
            "--backlog",
            "4096",
            # As `make run` serves (see the Makefile).
            "--ws",
            "websockets-sansio",
            "--ws-per-message-deflate",
            "false",
            "--ws-max-size",
            "4096",
        ],
        cwd=ROOT,
        env=server_env,
    )
    bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port)])
    try:
        wait_for_port(app_port)
        wait_for_port(bare_port)
        layer = "redis" if env.get("REDIS_URL") else "in-memory"
        print(f"{args.steps} steps per run; one uvicorn process, {layer} channel layer; ms")
        print(
            f"{'followers':>9} | {'sipflows p50/p95/p99':>22} | {'lost':>4} {'ooo':>4} | "
            f"{'bare p50/p95/p99':>20} | {'p95 ratio':>9}"
        )
        for n in args.followers:
            measured, frame = asyncio.run(run_app(app_port, code, cookie, labels, n, args.steps))
            baseline = asyncio.run(run_bare(bare_port, frame, n, args.steps))
            ratio = measured["p95"] / baseline["p95"]
            print(
                f"{n:>9} | {measured['p50']:6.1f} {measured['p95']:6.1f} {measured['p99']:7.1f} | "
                f"{measured['lost']:>4} {measured['out_of_order']:>4} | "
                f"{baseline['p50']:5.1f} {baseline['p95']:6.1f} {baseline['p99']:6.1f} | "
                f"{ratio:9.2f}"
            )
    finally:
        app.terminate()
        bare.terminate()
        app.wait()
        bare.wait()


if __name__ == "__main__":
    main()
