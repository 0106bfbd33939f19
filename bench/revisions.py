"""Saving a revision, and drawing a past revision against the current one.

    .venv/bin/python bench/revisions.py [--runs N]

Loads the library into a throwaway SQLite database and prints:
- saving the largest flow (most steps) as a new revision with one annotation changed:
  median and p95 ms, and queries per save;
- the warm render time of the same step page of a past revision (/flows/<slug>/history/1/F7/)
  and of the current one (/flows/<slug>/F7/), measured alternately in one run, and their ratio
  (goal: at most 1.2).
"""

import argparse
import copy
import statistics
import time

from common import load_library


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    load_library()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from sipflows import selectors, services
    from sipflows.models import Flow

    flow = Flow.objects.annotate(n=Count("steps")).order_by("-n").first()
    steps = flow.steps.count()

    saves, queries = [], []
    for run in range(args.runs):
        flow.refresh_from_db()
        document = copy.deepcopy(selectors.flow_document(flow=flow))
        document["steps"][run % steps]["annotation"] = {"en": f"Edited {run}."}
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            services.flow_save(document=document, base_version=flow.version, flow=flow)
            saves.append((time.perf_counter() - start) * 1000)
        queries.append(len(captured))
    print(
        f"save {flow.slug} ({steps} steps) as a new revision: median "
        f"{statistics.median(saves):.1f} ms, p95 {percentile(saves, 0.95):.1f} ms, "
        f"{statistics.median(queries):.0f} queries, {args.runs} saves"
    )

    client = Client(SERVER_NAME="127.0.0.1")
    label = flow.steps.filter(kind="message").order_by("position")[6].label
    pages = {
        "past": f"/flows/{flow.slug}/history/1/{label}/",
        "current": f"/flows/{flow.slug}/{label}/",
    }
    timings: dict[str, list[float]] = {name: [] for name in pages}
    for path in pages.values():
        assert client.get(path).status_code == 200
    for _ in range(args.runs):
        for name, path in pages.items():
            start = time.perf_counter()
            client.get(path)
            timings[name].append((time.perf_counter() - start) * 1000)
    for name, path in pages.items():
        values = timings[name]
        print(
            f"{name:7} {path}: median {statistics.median(values):.1f} ms, "
            f"p95 {percentile(values, 0.95):.1f} ms"
        )
    ratio = statistics.median(timings["past"]) / statistics.median(timings["current"])
    print(f"past / current render time: {ratio:.2f} (goal: at most 1.2)")


if __name__ == "__main__":
    main()
