"""A class joining at once: N students open the join link and connect their sockets.

    .venv/bin/python bench/join.py [--students 1000] [--within 1.0]

Loads the library into a throwaway SQLite database (or DATABASE_URL), starts a live
walkthrough and moves it to a step, and serves sipflows with uvicorn under the flags
`make run` uses: one process, or two workers when REDIS_URL is set (the Redis channel layer
and cache). N students then arrive spread evenly over WITHIN seconds: each opens the join link
(GET /live/<code>/, accepting gzip) and, as the page's script does, connects its socket,
which sends the session's current state first. A student "shows the current step" when the
page names it and the socket's first frame has arrived. Prints, from the first arrival: the
page's latency, the time until each student shows the step, and until the last one does. In
the same run, bench/bare_app.py (one process, same flags) serves the same page bytes and
frame to the same storm.
"""

import argparse
import asyncio
import gzip
import os
import re
import statistics
import time

import websockets
from common import Server, bare_server, bench_env, setup_django

CURRENT = re.compile(rb'id="ladder-cursor"[^>]*data-current="([^"]*)"')
SEQ = re.compile(r'data-seq="(\d+)"')
TIMEOUT = 60.0


def prepare_session() -> tuple[str, str]:
    """A live walkthrough of Call Pickup moved to its fifth step: (code, that step's label)."""
    from django.contrib.auth.models import User

    from sipflows import services
    from sipflows.models import Flow

    user, _ = User.objects.get_or_create(username="bench-instructor", is_superuser=True)
    flow = Flow.objects.get(slug="call-pickup")
    session = services.live_session_start(flow=flow, owner=user)
    label = flow.steps.all()[4].label
    services.live_session_move(code=session.code, to=lambda session: label)
    return session.code, label


async def http_get(port: int, path: str) -> tuple[int, dict, bytes]:
    """One GET on a fresh connection, as a student's browser opening the link."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Encoding: gzip\r\n"
        "Accept-Language: en\r\nConnection: close\r\n\r\n".encode()
    )
    raw = await reader.read(-1)
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    if headers.get("transfer-encoding") == "chunked":
        body = _unchunk(body)
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return int(lines[0].split()[1]), headers, body


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        length = int(size, 16)
        if not length:
            break
        out, body = out + rest[:length], rest[length + 2 :]
    return out


async def student(port: int, code: str, label: str, at: float, start: float) -> dict:
    await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
    arrived = time.perf_counter()
    status, _, body = await http_get(port, f"/live/{code}/")
    paged = time.perf_counter()
    shown = CURRENT.search(body)
    if status != 200 or not shown or shown[1].decode() != label:
        return {"failed": f"page {status}"}
    origin = {"Origin": f"http://127.0.0.1:{port}", "Accept-Language": "en"}
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/live/{code}/",
        additional_headers=origin,
        max_size=None,
        open_timeout=TIMEOUT,
    )
    frame = await asyncio.wait_for(ws.recv(), TIMEOUT)
    done = time.perf_counter()
    if f'data-current="{label}"' not in frame:
        return {"failed": "frame"}
    return {"page": paged - arrived, "shown": done - start, "arrived": arrived - start, "ws": ws}


async def storm(port: int, code: str, label: str, students: int, within: float) -> dict:
    start = time.perf_counter() + 0.2
    results = await asyncio.gather(
        *(student(port, code, label, within * i / students, start) for i in range(students)),
        return_exceptions=True,
    )
    good = [r for r in results if isinstance(r, dict) and "failed" not in r]
    # Students stay connected until everyone is in, as a class would.
    await asyncio.gather(*(r["ws"].close() for r in good), return_exceptions=True)
    pages = sorted(r["page"] * 1000 for r in good)
    shown = sorted(r["shown"] for r in good)
    return {
        "failed": students - len(good),
        "page_p50": statistics.median(pages) if pages else float("nan"),
        "page_p95": pages[int(len(pages) * 0.95) - 1] if pages else float("nan"),
        "shown_p50": statistics.median(shown) if shown else float("nan"),
        "last": shown[-1] if shown else float("nan"),
        "arrived_by": max((r["arrived"] for r in good), default=float("nan")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--within", type=float, default=1.0, help="seconds over which they arrive")
    args = parser.parse_args()
    env = bench_env()
    setup_django(env)
    code, label = prepare_session()
    workers = 2 if env.get("REDIS_URL") else 1
    with Server("sipflows.asgi:application", env, workers=workers) as app:
        asyncio.run(storm(app.port, code, label, 5, 0.1))  # warm the process up, as in use
        page = asyncio.run(http_get(app.port, f"/live/{code}/"))
        measured = asyncio.run(storm(app.port, code, label, args.students, args.within))
    frame = f'<div id="ladder-cursor" hidden data-current="{label}" data-seq="1"></div>'
    headers = [(k.encode(), v.encode()) for k, v in page[1].items() if k in ("content-type",)]
    with bare_server({f"/live/{code}/": (200, headers, page[2])}, frame) as bare:
        asyncio.run(storm(bare.port, code, label, 5, 0.1))
        baseline = asyncio.run(storm(bare.port, code, label, args.students, args.within))
    where = "two workers, Redis channel layer and cache" if workers == 2 else "one process"
    database = os.environ.get("DATABASE_URL", "SQLite").split("://")[0]
    print(
        f"{args.students} students arriving within {args.within} s; sipflows: {where}, "
        f"{database}; bare: one process"
    )
    print(
        f"{'':>9} | {'failed':>6} | {'page p50/p95 ms':>16} | {'shown p50 s':>11} | "
        f"{'all shown by s':>14} | {'last arrived s':>14}"
    )
    for name, row in (("sipflows", measured), ("bare", baseline)):
        print(
            f"{name:>9} | {row['failed']:>6} | {row['page_p50']:7.1f} {row['page_p95']:8.1f} | "
            f"{row['shown_p50']:11.2f} | {row['last']:14.2f} | {row['arrived_by']:14.2f}"
        )


if __name__ == "__main__":
    main()
