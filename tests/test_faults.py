"""A live class through a Redis restart and a killed worker: two uvicorn workers on PostgreSQL,
with a Redis of this test's own on a free port, so restarting it disturbs nothing else.

Runs where DATABASE_URL names PostgreSQL and REDIS_URL is set (the second pass of .ci/run).
bench/faults.py measures the same faults in seconds.
"""

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import websockets
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from sipflows import services
from tests.conftest import free_port
from tests.test_multiprocess import listening

ROOT = Path(__file__).resolve().parent.parent
CURRENT = re.compile(r'data-current="([^"]*)"')
VIEWERS = re.compile(r'<span id="viewers">(\d+)</span>')
RESTORING = "class connection is being restored"
# How long a test waits for what should come within seconds before it calls it lost.
PATIENCE = 20

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL")
        or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs DATABASE_URL=postgres://... and REDIS_URL (the second pass of .ci/run)",
    ),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
    pytest.mark.django_db(transaction=True),
]


def wait_listening(port: int) -> None:
    deadline = time.monotonic() + PATIENCE
    while not listening(port):
        assert time.monotonic() < deadline, f"nothing listens on port {port}"
        time.sleep(0.05)


class Redis:
    """A throwaway redis-server that a test may stop and start again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_listening(self.port)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def redis():
    server = Redis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def workers(redis):
    db = connection.settings_dict  # the test database, which both workers must share
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
    }
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "sipflows.asgi:application"),
                *("--port", str(port), "--ws", "websockets-sansio", "--ws-max-size", "4096"),
                *("--log-level", "error"),
            ],
            cwd=ROOT,
            env=env,
        )
        for port in ports
    ]
    for port in ports:
        wait_listening(port)
    yield list(zip(ports, processes, strict=True))
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


class Screen:
    """One browser's socket: the step it shows and the instructor's lines, as frames come."""

    def __init__(self, ws):
        self.ws = ws
        self.labels: list[str] = []
        self.viewers: int | None = None
        self.restoring = False
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for text in self.ws:
            if match := CURRENT.search(text):
                self.labels.append(match[1])
            if match := VIEWERS.search(text):
                self.viewers = int(match[1])
            if 'id="class-connection"' in text:
                self.restoring = RESTORING in text

    async def until(self, condition, what: str) -> None:
        deadline = time.monotonic() + PATIENCE
        while not condition():
            assert time.monotonic() < deadline, f"never {what}"
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        self.task.cancel()
        await self.ws.close()


async def open_screen(port: int, code: str, cookie: str | None = None) -> Screen:
    headers = {"Origin": f"http://127.0.0.1:{port}"}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    url = f"ws://127.0.0.1:{port}/ws/live/{code}/"
    return Screen(await websockets.connect(url, additional_headers=headers, close_timeout=1))


@pytest.fixture
def live(sample_flow):
    teacher = User.objects.create_user("teacher")
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    client = Client()
    client.force_login(teacher)
    return session.code, client.cookies["sessionid"].value


async def drive_through_redis_restart(workers, redis, code, cookie):
    (first, _), (second, _) = workers
    teacher = await open_screen(first, code, cookie)
    students = [await open_screen(port, code) for port in (second, second, first)]
    for screen in students:
        await screen.until(lambda s=screen: s.labels == [""], "joined")
    await teacher.ws.send('{"action": "next"}')
    for screen in students:
        await screen.until(lambda s=screen: s.labels[-1:] == ["F1"], "on F1")
    redis.stop()
    await teacher.ws.send('{"action": "next"}')  # saved while the class connection is down
    await teacher.until(lambda: teacher.restoring, "told of the outage")
    redis.start()
    for screen in students:
        await screen.until(lambda s=screen: s.labels[-1:] == ["F2"], "back on the class's step")
    await teacher.until(lambda: not teacher.restoring, "told the connection is back")
    for label in ("M1", "E1"):
        await teacher.ws.send('{"action": "next"}')
        for screen in students:
            await screen.until(lambda s=screen, x=label: s.labels[-1:] == [x], f"on {label}")
    seen = [screen.labels for screen in students]
    for screen in (teacher, *students):
        await screen.close()
    return seen


def test_a_redis_restart_delays_the_class_and_loses_nothing(workers, redis, live):
    seen = asyncio.run(drive_through_redis_restart(workers, redis, *live))
    for labels in seen:
        assert labels[0] == "" and labels[-3:] == ["F2", "M1", "E1"]
        assert labels == sorted(labels, key=["", "F1", "F2", "M1", "E1"].index)  # in order


async def count_through_a_killed_worker(workers, code, cookie):
    (first, _), (second, doomed) = workers
    teacher = await open_screen(first, code, cookie)
    here = await open_screen(first, code)
    there = [await open_screen(second, code) for _ in range(3)]
    await teacher.until(lambda: teacher.viewers == 4, "counting four students")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    await teacher.until(lambda: teacher.viewers == 1, "forgetting the killed worker's students")
    counted = teacher.viewers
    for screen in (teacher, here):
        await screen.close()
    for screen in there:
        screen.task.cancel()
    return counted


def test_a_killed_worker_stops_counting_within_seconds(workers, live):
    assert asyncio.run(count_through_a_killed_worker(workers, *live)) == 1
