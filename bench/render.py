"""Server-side render time of a page, warm, with the page cache off (bench/pages.py measures
pages served from it).

    .venv/bin/python bench/render.py [PATH] [--runs N]

Loads the library into a throwaway SQLite database, renders PATH once to warm up, then N times
through Django's test client, and prints the median, 95th percentile and the queries per render.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import ROOT, without_page_cache


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/flows/call-pickup/F7/")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    database = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipflows.settings")
    os.environ["DEBUG"] = "0"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    call_command("import_flows", str(ROOT / "fixtures"), verbosity=0)
    without_page_cache().enable()
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
