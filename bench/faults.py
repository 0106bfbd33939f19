"""A live class through faults: how many seconds until every student is on the class's step again?

    DATABASE_URL=postgres://... .venv/bin/python bench/faults.py [--students 30] [--outage 2]

Starts a redis-server of its own on a free port and two uvicorn workers on DATABASE_URL
(PostgreSQL), one live session, the instructor on the first worker and STUDENTS students
spread over both. Students reconnect half a second after their socket closes, as the page's
socket does. Then:

- Redis restart: Redis is stopped for OUTAGE seconds; meanwhile the instructor steps once.
  Prints the seconds from Redis being back until every student shows the current step, and
  whether the next five steps reach everyone, in order.
- Worker kill: the second worker gets kill -9; its students reconnect to the first. Prints
  the seconds until every student shows the current step, and until the instructor's count
  of students is right again (and the count just before it was right).
"""

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fanout import ROOT, free_port, prepare_library, wait_for_port  # noqa: E402

CURRENT = re.compile(r'data-current="([^"]*)"')
VIEWERS = re.compile(r'<span id="viewers">(\d+)</span>')
GIVE_UP = 30.0  # seconds: a fault not healed by then counts as never


class Screen:
    """A browser on a live page: reconnects when its socket closes, keeps what it shows."""

    def __init__(self, ports: list[int], code: str, cookie: str | None = None):
        self.ports, self.code, self.cookie = ports, code, cookie
        self.label: str | None = None
        self.labels: list[str] = []
        self.viewers: int | None = None
        self.counts: list[tuple[float, int]] = []  # (when, count) as the instructor saw it
        self.connected = False
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            port = self.ports[0]
            headers = {"Origin": f"http://127.0.0.1:{port}"}
            if self.cookie:
                headers["Cookie"] = f"sessionid={self.cookie}"
            try:
                async with websockets.connect(
                    f"ws://127.0.0.1:{port}/ws/live/{self.code}/",
                    additional_headers=headers,
                    close_timeout=0.5,
                    open_timeout=5,
                ) as ws:
                    self.connected = True
                    async for text in ws:
                        if match := CURRENT.search(text):
                            self.label = match[1]
                            self.labels.append(match[1])
                        if match := VIEWERS.search(text):
                            self.viewers = int(match[1])
                            self.counts.append((time.monotonic(), self.viewers))
            except (TimeoutError, OSError, websockets.WebSocketException):
                pass
            self.connected = False
            self.ports = self.ports[1:] or self.ports  # a dead worker's students go elsewhere
            await asyncio.sleep(0.5)

    async def send(self, text: str) -> None:
        """Send from a fresh socket of the instructor's (the screen's own keeps reading)."""
        port = self.ports[0]
        headers = {"Origin": f"http://127.0.0.1:{port}", "Cookie": f"sessionid={self.cookie}"}
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/live/{self.code}/", additional_headers=headers
        ) as ws:
            await ws.recv()
            await ws.send(text)
            await asyncio.sleep(0.2)


async def seconds_until(condition) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > GIVE_UP:
            return float("inf")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


def start_redis(port: int) -> subprocess.Popen:
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return redis


def start_worker(port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "sipflows.asgi:application"),
            *("--port", str(port), "--ws", "websockets-sansio", "--ws-per-message-deflate"),
            *("false", "--ws-max-size", "4096", "--log-level", "critical"),
        ],
        cwd=ROOT,
        env=env,
    )


async def redis_restart(ports, code, cookie, labels, students, outage, redis_port, redis):
    teacher = Screen([ports[0]], code, cookie)
    class_ = [Screen([ports[i % 2]], code) for i in range(students)]
    await seconds_until(lambda: all(s.label == "" for s in class_))
    await teacher.send('{"action": "next"}')
    await seconds_until(lambda: all(s.label == labels[0] for s in class_))
    redis.terminate()
    redis.wait()
    stepped = time.monotonic()
    await teacher.send('{"action": "next"}')  # the database moves on without Redis
    during = await seconds_until(lambda: all(s.label == labels[1] for s in class_))
    await asyncio.sleep(max(0.0, stepped + outage - time.monotonic()))
    redis = start_redis(redis_port)
    resync = await seconds_until(lambda: all(s.label == labels[1] for s in class_))
    for s in class_:
        s.labels.clear()
    for label in labels[2:7]:
        await teacher.send('{"action": "next"}')
        await seconds_until(lambda x=label: all(s.label == x for s in class_))
    expected = labels[2:7]
    lost = sum(1 for s in class_ for x in expected if x not in s.labels)
    out_of_order = sum(
        1
        for s in class_
        if [x for x in s.labels if x in expected]
        != sorted([x for x in s.labels if x in expected], key=expected.index)
    )
    for s in (teacher, *class_):
        s.task.cancel()
    return during, resync, lost, out_of_order, redis


async def worker_kill(ports, code, cookie, labels, students, doomed):
    teacher = Screen([ports[0]], code, cookie)
    class_ = [Screen([ports[1], ports[0]] if i % 2 else [ports[0]], code) for i in range(students)]
    await seconds_until(lambda: all(s.label is not None for s in class_))
    await seconds_until(lambda: teacher.viewers == students)
    before = teacher.viewers
    killed = time.monotonic()
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    await teacher.send('{"action": "next"}')
    await seconds_until(lambda: all(s.connected and s.label == labels[0] for s in class_))
    back = time.monotonic() - killed
    await asyncio.sleep(12)  # long past any expiry: the count has settled
    wrong = [when for when, count in teacher.counts if when > killed and count != students]
    settled = [when for when, count in teacher.counts if when > max(wrong, default=killed)]
    right_after = settled[0] - killed if settled else 0.0
    if teacher.viewers != students:
        right_after = float("inf")
    shown = sorted({count for when, count in teacher.counts if when > killed})
    for s in (teacher, *class_):
        s.task.cancel()
    return back, right_after, before, shown


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--outage", type=float, default=2.0)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://... (two workers share one database)")
    redis_port = free_port()
    redis = start_redis(redis_port)
    env = {
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
    }
    code, cookie, labels = prepare_library(env)
    ports = [free_port(), free_port()]
    server_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "sipflows.settings"}
    workers = [start_worker(port, server_env) for port in ports]
    try:
        for port in ports:
            wait_for_port(port)
        print(f"two workers, {args.students} students, Redis down for {args.outage} s")
        during, resync, lost, ooo, redis = asyncio.run(
            redis_restart(
                ports, code, cookie, labels, args.students, args.outage, redis_port, redis
            )
        )
        print(
            f"Redis restart: a step taken while Redis was down reached every student after "
            f"{during:.2f} s;\n               every student on the class's step {resync:.2f} s "
            "after Redis was back;"
        )
        print(f"               next 5 steps: {lost} lost, {ooo} students out of order")
        code2, _, _ = prepare_library(env)
        back, right_after, before, shown = asyncio.run(
            worker_kill(ports, code2, cookie, labels, args.students, workers[1])
        )
        print(
            f"worker kill -9: every student back on the class's step {back:.2f} s after the kill;"
        )
        print(
            f"                the count ({before} before) right again {right_after:.2f} s after "
            f"the kill; it showed {shown}"
        )
    finally:
        for process in (*workers, redis):
            if process.poll() is None:
                process.terminate()
                process.wait()


if __name__ == "__main__":
    main()
