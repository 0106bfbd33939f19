"""Server-side render time of a step page, warm.

    .venv/bin/python bench/render.py [PATH] [--runs N]

Loads the library into a throwaway SQLite database, renders PATH once to warm up, then N times
through Django's test client, and prints the median, 95th percentile and the queries per render.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def page_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/flows/call-pickup/F7/")
    parser.add_argument("--runs", type=int, default=200)
    return parser.parse_args()


def library_client():
    """A test client over a throwaway SQLite database that holds the library (fixtures/)."""
    database = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipflows.settings")
    os.environ["DEBUG"] = "0"

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("import_flows", str(ROOT / "fixtures"), verbosity=0)
    return Client(SERVER_NAME="127.0.0.1")


def main() -> None:
    args = page_arguments()
    client = library_client()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

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
