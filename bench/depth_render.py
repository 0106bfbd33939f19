"""The step page with and without what changed, the dialogs and the RFC as printed, in one run.

    .venv/bin/python bench/depth_render.py [PATH ...] [--runs N]

Loads the library into a throwaway SQLite database and renders each PATH warm N times through
Django's test client, alternating a render with the depth context and partials and one with
them left out (the context helper answering nothing), and prints the medians and their ratio.
The issue's goal: the whole step page within 1.3x of the page without them.
"""

import argparse
import statistics
import time

from common import load_library

PATHS = ["/flows/call-pickup/F7/", "/flows/find-me/F20/", "/flows/transfer-attended/F17/"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", default=PATHS)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    load_library()
    from contextlib import nullcontext
    from unittest import mock

    from django.test import Client

    from sipflows import frames

    client = Client(SERVER_NAME="127.0.0.1")
    # Without: no depth context, so the depth partials and the switches render nothing.
    variants = {
        "with": nullcontext,
        "without": lambda: mock.patch.object(frames, "step_depth_context", lambda f, label: {}),
    }
    for path in args.paths:
        timings: dict[str, list[float]] = {name: [] for name in variants}
        for variant in variants.values():  # warm both, once
            with variant():
                assert client.get(path).status_code == 200
        for _ in range(args.runs):
            for name, variant in variants.items():
                with variant():
                    start = time.perf_counter()
                    client.get(path)
                    timings[name].append((time.perf_counter() - start) * 1000)
        with_depth, bare = (statistics.median(timings[n]) for n in ("with", "without"))
        print(
            f"{path}: with {with_depth:.1f} ms, without {bare:.1f} ms, "
            f"ratio {with_depth / bare:.2f}x (medians of {args.runs} runs each)"
        )


if __name__ == "__main__":
    main()
