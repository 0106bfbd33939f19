"""Server-side render time of a step page, warm.

    .venv/bin/python bench/render.py [PATH] [--runs N]

Loads the library into a throwaway SQLite database, renders PATH once to warm up, then N times
through Django's test client, and prints the median, 95th percentile and the queries per render.
"""

import argparse
import statistics
import time

from common import load_library, without_page_cache


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/flows/call-pickup/F7/")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    load_library()
    without_page_cache().enable()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    assert client.get(args.path).status_code == 200
    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        client.get(args.path)
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(args.path)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"{args.path}: median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
        f"{len(queries)} queries, {args.runs} runs"
    )


if __name__ == "__main__":
    main()
