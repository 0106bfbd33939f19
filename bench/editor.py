"""The editor on the largest flow: opening it, the check while typing, and a save.

    .venv/bin/python bench/editor.py [--runs N]

Loads the library into a throwaway SQLite database, signs in a superuser and prints, for the
flow with the most steps: the time to open /flows/<slug>/edit/, the time of one check while
typing (the whole draft posted, parsed, validated, checked, the step's feedback and the
preview drawn), the size of that post, and the time of a save through the form. Median and
p95 ms. The check is debounced by 400 ms in the browser; it should answer well within that.
"""

import argparse
import statistics
import time
from urllib.parse import urlencode

from common import load_library


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def timed(runs: int, call) -> list[float]:
    values = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        values.append((time.perf_counter() - start) * 1000)
    return values


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    load_library()
    from django.contrib.auth.models import User
    from django.db.models import Count
    from django.test import Client

    from sipflows.models import Flow
    from tests.editor_forms import form_fields

    flow = Flow.objects.annotate(n=Count("steps")).order_by("-n").first()
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(User.objects.create_superuser("bench", password="bench-password-long"))
    url = f"/flows/{flow.slug}/edit/"

    opening = timed(args.runs, lambda: client.get(url))
    data = form_fields(client.get(url).content)
    check = {**data, "op": "check:6"}
    checks = timed(args.runs, lambda: client.post(url, check, HTTP_HX_REQUEST="true"))
    saves = []
    for run in range(args.runs):
        data = form_fields(client.get(url).content)
        data.update({"step-6-annotation_en": f"Edited {run}.", "op": "save"})
        data["change_message"] = f"bench {run}"
        start = time.perf_counter()
        assert client.post(url, data).status_code == 302
        saves.append((time.perf_counter() - start) * 1000)

    print(f"{flow.slug}: {flow.steps.count()} steps, {flow.notes.count()} notes")
    print(f"post of the whole draft: {len(urlencode(check)) / 1024:.0f} KiB")
    for name, values in (
        ("open the editor", opening),
        ("check while typing", checks),
        ("save through the form", saves),
    ):
        print(
            f"{name:22}: median {statistics.median(values):.1f} ms, "
            f"p95 {percentile(values, 0.95):.1f} ms ({len(values)} runs)"
        )


if __name__ == "__main__":
    main()
