"""How the checker's time grows with the flow.

    .venv/bin/python bench/checker_growth.py [--runs N]

Builds synthetic flows of 50, 100, 200, 400 and 800 steps by repeating the library's flows one
after the other, each copy with fresh Call-IDs, tags and branches (so every copy is a call of
its own, as in a long capture), on the lanes of the flows used (at most 12). Prints the median
CPU time of `lint_flow` per size, and the time per step: linear growth keeps the last column flat.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sipflows.sip.flowdoc import parse_documents, validate_document  # noqa: E402
from sipflows.sip.lint import lint_flow  # noqa: E402

SIZES = (50, 100, 200, 400, 800)
MAX_LANES = 12
IDENTIFIERS = re.compile(r"(?:;tag=|;branch=|Call-ID: *|i: *)([^;\s>,]+)", re.IGNORECASE)


def library() -> list[dict[str, Any]]:
    flows = []
    for path in sorted((ROOT / "fixtures").glob("*.yaml")):
        flows += parse_documents(path.read_text(encoding="utf-8"), name=path.name)
    return flows


def renamed(message: str, suffix: str, identifiers: list[str]) -> str:
    for identifier in identifiers:
        message = message.replace(identifier, f"{identifier}{suffix}")
    return message


def synthetic_flow(flows: list[dict[str, Any]], size: int) -> dict[str, Any]:
    """`size` steps made of copies of `flows`, as one document."""
    used, lanes = [], {}
    for flow in flows:
        keys = {p["key"]: p for p in flow["participants"]}
        if len(lanes.keys() | keys.keys()) <= MAX_LANES:
            used.append(flow)
            lanes.update(keys)
    steps: list[dict[str, Any]] = []
    copy = 0
    while len(steps) < size:
        flow = used[copy % len(used)]
        copy += 1
        messages = " ".join(s.get("message", "") for s in flow["steps"])
        identifiers = sorted(set(IDENTIFIERS.findall(messages)), key=len, reverse=True)
        for step in flow["steps"]:
            if len(steps) == size:
                break
            new = {k: v for k, v in step.items() if k not in ("annotation", "focus")}
            new["label"] = f"F{len(steps) + 1}"
            if "message" in new:
                new["message"] = renamed(new["message"], f"x{copy}", identifiers)
            steps.append(new)
    document = {
        "slug": f"synthetic-{size}",
        "title": {"en": f"Synthetic flow of {size} steps"},
        "participants": list(lanes.values()),
        "steps": steps,
    }
    return validate_document(document, name=document["slug"])


def median_ms(document: dict[str, Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()  # CPU time: other work on the machine does not count
        lint_flow(document)
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    flows = library()
    print(f"{'steps':>6} {'lanes':>6} {'findings':>9} {'checker ms':>11} {'ms/step':>8}")
    for size in SIZES:
        document = synthetic_flow(flows, size)
        findings = len(lint_flow(document))
        ms = median_ms(document, args.runs)
        lanes = len(document["participants"])
        print(f"{size:>6} {lanes:>6} {findings:>9} {ms:>11.1f} {ms / size:>8.3f}")


if __name__ == "__main__":
    main()
