"""Live walkthroughs across processes: two uvicorn servers sharing PostgreSQL and Redis.

Runs where DATABASE_URL names PostgreSQL and REDIS_URL is set (the second pass of .ci/run);
with SQLite and the in-memory channel layer there is only ever one process to talk to.
"""

import asyncio
import os
import re
import socket
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

ROOT = Path(__file__).resolve().parent.parent
CURRENT = re.compile(r'data-current="([^"]*)"')

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL")
        or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs DATABASE_URL=postgres://... and REDIS_URL (the second pass of .ci/run)",
    ),
    pytest.mark.django_db(transaction=True),
]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def two_servers():
    db = connection.settings_dict  # the test database, which both servers must share
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "sipflows.asgi:application",
                "--port",
                str(port),
                "--ws",
                "websockets-sansio",
                "--ws-max-size",
                "4096",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        for port in ports
    ]
    deadline = time.monotonic() + 20
    for port in ports:
        while not listening(port):
            assert time.monotonic() < deadline, "a server did not start"
            time.sleep(0.05)
    yield ports
    for server in servers:
        server.terminate()
        server.wait(timeout=10)


async def next_label(ws) -> str:
    while True:
        match = CURRENT.search(await asyncio.wait_for(ws.recv(), 10))
        if match:
            return match[1]


async def drive(ports, code, cookie):
    instructor_port, student_port = ports
    url = "ws://127.0.0.1:{}/ws/live/" + code + "/"
    origin = {"Origin": f"http://127.0.0.1:{instructor_port}"}
    teacher = await websockets.connect(
        url.format(instructor_port), additional_headers={**origin, "Cookie": f"sessionid={cookie}"}
    )
    students = [
        await websockets.connect(url.format(student_port), additional_headers=origin)
        for _ in range(3)
    ]
    assert [await next_label(s) for s in students] == ["", "", ""]
    await next_label(teacher)
    seen = []
    for _ in range(3):
        await teacher.send('{"action": "next"}')
        seen.append([await next_label(s) for s in students])
    late = await websockets.connect(url.format(student_port), additional_headers=origin)
    late_label = await next_label(late)
    for ws in [teacher, late, *students]:
        await ws.close()
    return seen, late_label


def test_students_on_another_process_stay_in_step(two_servers, sample_flow):
    teacher = User.objects.create_user("teacher")
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    client = Client()
    client.force_login(teacher)
    seen, late_label = asyncio.run(
        drive(two_servers, session.code, client.cookies["sessionid"].value)
    )
    assert seen == [["F1"] * 3, ["F2"] * 3, ["M1"] * 3]
    assert late_label == "M1"
