"""How page render and the checker grow with the flow.

    .venv/bin/python bench/growth.py [--steps 50 100 200 400 800] [--lanes 2 4 8 12]

Builds synthetic flows (calls from the first lane to the last through proxies in between:
INVITE and its 200 OK hop by hop, ACK, media, BYE and its 200 OK end to end, a note every
tenth step) and imports them into a throwaway SQLite database. For each, it renders the middle
step's page through Django's test client with the page cache bypassed: cold (first render of
the flow's version: ladder layout and checker included) and warm (the median of later
renders, before caching), then a cached read (the page cache on), and times the checker on
the flow document. Beside each warm figure: what a linear growth from the smallest flow with
the same lanes predicts.
"""

import argparse
import statistics
import time

from common import bench_env, setup_django, without_page_cache

WARM_RUNS = 15


def call(number: int, lanes: list[str], domain: str = "example.com") -> list[dict]:
    """One call from the first lane to the last through the lanes between, and its end."""
    caller, callee = lanes[0], lanes[-1]
    call_id = f"{number}a2b3c4@{caller}.{domain}"
    invite_via: list[str] = []
    steps = []

    def message(sender: str, receiver: str, text: str) -> dict:
        return {"kind": "message", "from": sender, "to": receiver, "message": text}

    for hop, (sender, receiver) in enumerate(zip(lanes, lanes[1:], strict=False)):
        invite_via.insert(0, f"Via: SIP/2.0/UDP {sender}.{domain};branch=z9hG4bK{number}x{hop}")
        steps.append(
            message(
                sender,
                receiver,
                f"INVITE sip:{callee}@{domain} SIP/2.0\n" + "\n".join(invite_via) + "\n"
                f"Max-Forwards: {70 - hop}\nFrom: <sip:{caller}@{domain}>;tag={number}1\n"
                f"To: <sip:{callee}@{domain}>\nCall-ID: {call_id}\nCSeq: 1 INVITE\n"
                f"Contact: <sip:{caller}@{caller}.{domain}>\nContent-Length: 0\n",
            )
        )
    for hop in range(len(lanes) - 1, 0, -1):
        via = invite_via[len(lanes) - 1 - hop :]
        steps.append(
            message(
                lanes[hop],
                lanes[hop - 1],
                "SIP/2.0 200 OK\n" + "\n".join(via) + "\n"
                f"From: <sip:{caller}@{domain}>;tag={number}1\n"
                f"To: <sip:{callee}@{domain}>;tag={number}2\nCall-ID: {call_id}\n"
                f"CSeq: 1 INVITE\nContact: <sip:{callee}@{callee}.{domain}>\nContent-Length: 0\n",
            )
        )
    dialog = (
        f"From: <sip:{caller}@{domain}>;tag={number}1\nTo: <sip:{callee}@{domain}>;tag={number}2\n"
        f"Call-ID: {call_id}\n"
    )
    steps.append(
        message(
            caller,
            callee,
            f"ACK sip:{callee}@{callee}.{domain} SIP/2.0\n"
            f"Via: SIP/2.0/UDP {caller}.{domain};branch=z9hG4bK{number}ack\nMax-Forwards: 70\n"
            f"{dialog}CSeq: 1 ACK\nContent-Length: 0\n",
        )
    )
    steps.append(
        {"kind": "media", "from": caller, "to": callee, "media": "two-way",
         "text": {"en": "Two-way RTP", "zh": "双向RTP"}}
    )  # fmt: skip
    bye_dialog = (
        f"From: <sip:{callee}@{domain}>;tag={number}2\nTo: <sip:{caller}@{domain}>;tag={number}1\n"
        f"Call-ID: {call_id}\n"
    )
    bye_via = f"Via: SIP/2.0/UDP {callee}.{domain};branch=z9hG4bK{number}bye\n"
    steps.append(
        message(
            callee,
            caller,
            f"BYE sip:{caller}@{caller}.{domain} SIP/2.0\n{bye_via}Max-Forwards: 70\n"
            f"{bye_dialog}CSeq: 1 BYE\nContent-Length: 0\n",
        )
    )
    steps.append(
        message(
            caller, callee, f"SIP/2.0 200 OK\n{bye_via}{bye_dialog}CSeq: 1 BYE\nContent-Length: 0\n"
        )
    )
    return steps


def synthetic_document(steps: int, lanes: int) -> dict:
    keys = ["alice"] + [f"proxy{n}" for n in range(1, lanes - 1)] + ["bob"]
    participants = [
        {"key": key, "name": key.title(), "role": "proxy" if key.startswith("proxy") else "ua"}
        for key in keys
    ]
    flow_steps: list[dict] = []
    number = 0
    while len(flow_steps) < steps:
        number += 1
        flow_steps += call(number, keys)
    flow_steps = flow_steps[:steps]
    for index, step in enumerate(flow_steps):
        step["annotation"] = {"en": f"Step {index + 1} of a synthetic flow.", "zh": "合成流程。"}
    labels = []
    for index, step in enumerate(flow_steps):
        label = f"F{index + 1}" if step["kind"] == "message" else f"M{index + 1}"
        step["label"] = label
        labels.append(label)
    notes = [
        {"step": label, "kind": "discussion", "discussion": {"en": "A note.", "zh": "注释。"}}
        for label in labels[::10]
    ]
    return {
        "slug": f"synthetic-{steps}-{lanes}",
        "title": {"en": f"Synthetic flow, {steps} steps, {lanes} lanes", "zh": "合成流程"},
        "participants": participants,
        "steps": flow_steps,
        "notes": notes,
    }


def measure(steps: int, lanes: int) -> dict:
    from django.test import Client

    from sipflows import services
    from sipflows.sip.flowdoc import validate_document
    from sipflows.sip.lint import lint_flow

    document = validate_document(synthetic_document(steps, lanes), name="synthetic")
    revision = services.flows_import(documents=[document])[0]
    labels = [s["label"] for s in revision.document["steps"]]
    path = f"/flows/{revision.slug}/{labels[len(labels) // 2]}/"
    with without_page_cache():
        client = Client(SERVER_NAME="127.0.0.1")
        cold = timed(lambda: client.get(path))
        warm = statistics.median(timed(lambda: client.get(path)) for _ in range(WARM_RUNS))
    client = Client(SERVER_NAME="127.0.0.1")
    client.get(path)
    cached = statistics.median(timed(lambda: client.get(path)) for _ in range(WARM_RUNS))
    full = revision.document
    checker = min(timed(lambda: lint_flow(full, include_acknowledged=True)) for _ in range(3))
    return {"cold": cold, "warm": warm, "cached": cached, "checker": checker}


def timed(action) -> float:
    start = time.perf_counter()
    response = action()
    assert getattr(response, "status_code", 200) == 200, response
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    # A flow holds at most 500 steps (services.MAX_STEPS).
    parser.add_argument("--steps", type=int, nargs="+", default=[50, 100, 200, 400, 500])
    parser.add_argument("--lanes", type=int, nargs="+", default=[2, 4, 8, 12])
    args = parser.parse_args()
    setup_django(bench_env())
    from django.test import Client

    Client(SERVER_NAME="127.0.0.1").get("/flows/call-pickup/F7/")  # templates compiled
    print("step page of the middle step, ms; warm = before caching; cached = page cache on")
    print(
        f"{'steps':>5} {'lanes':>5} | {'cold':>7} {'warm':>7} {'linear':>7} {'cached':>7} | "
        f"{'checker':>7} {'linear':>7}"
    )
    for lanes in args.lanes:
        first = None
        for steps in args.steps:
            row = measure(steps, lanes)
            first = first or (steps, row)
            scale = steps / first[0]
            print(
                f"{steps:>5} {lanes:>5} | {row['cold']:7.1f} {row['warm']:7.1f} "
                f"{first[1]['warm'] * scale:7.1f} {row['cached']:7.1f} | "
                f"{row['checker']:7.1f} {first[1]['checker'] * scale:7.1f}"
            )


if __name__ == "__main__":
    main()
