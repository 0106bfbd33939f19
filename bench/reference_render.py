"""The step page with its token controls against the same page without them, in one run,
and the size and coverage of the reference.

    .venv/bin/python bench/reference_render.py [PATH] [--runs N]

Loads the library into a throwaway SQLite database and renders PATH warm through Django's
test client, alternating two versions of the page: as it is (every explained token a link
with its explanation on the page) and as it was before the reference (Pygments' plain HTML,
no explanations). Prints both medians and their ratio (the goal: within 1.3x), then the
reference's entries per kind and how many of the library's tokens it explains.
"""

import argparse
import statistics
import time
from contextlib import contextmanager

from common import ROOT, load_library


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/flows/call-pickup/F7/")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    load_library()
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    timings: dict[str, list[float]] = {"with token controls": [], "without (before)": []}
    sizes = {}
    for name in timings:
        with page_version(name):
            response = client.get(args.path)
            assert response.status_code == 200
            sizes[name] = len(response.content)
    for _ in range(args.runs):
        for name, found in timings.items():
            with page_version(name):
                start = time.perf_counter()
                client.get(args.path)
                found.append((time.perf_counter() - start) * 1000)
    medians = {name: statistics.median(found) for name, found in timings.items()}
    for name, median in medians.items():
        print(f"{args.path} {name}: median {median:.1f} ms, {sizes[name] / 1024:.1f} KiB")
    ratio = medians["with token controls"] / medians["without (before)"]
    print(f"ratio {ratio:.2f}x (goal: within 1.3x), {args.runs} runs each, interleaved")
    print_reference_figures()


@contextmanager
def page_version(name: str):
    """The page as it is, or with the highlighting and explanations it had before."""
    if name == "with token controls":
        yield
        return
    from pygments import highlight
    from pygments.formatters import HtmlFormatter

    from sipflows import frames
    from sipflows.sip.highlight import CSS_CLASS, focus_lines
    from sipflows.sip.lexers import SipLexer

    def plain(text, focus=()):
        formatter = HtmlFormatter(cssclass=CSS_CLASS, hl_lines=focus_lines(text, focus))
        return highlight(text, SipLexer(), formatter)

    saved = frames.highlight_message, frames._message_tips
    frames.highlight_message, frames._message_tips = plain, lambda message, language: ""
    try:
        yield
    finally:
        frames.highlight_message, frames._message_tips = saved


def print_reference_figures() -> None:
    from sipflows.sip.flowdoc import parse_documents
    from sipflows.sip.reference import is_explained, reference, text_tokens

    entries = reference()
    counts = ", ".join(f"{kind} {len(found)}" for kind, found in entries.items())
    print(f"reference: {sum(map(len, entries.values()))} entries ({counts})")
    documents = [
        d
        for p in sorted((ROOT / "fixtures").glob("*.yaml"))
        for d in parse_documents(p.read_bytes(), name=p.name)
    ]
    uses = [u for d in documents for s in d["steps"] for u in text_tokens(s.get("message", ""))]
    distinct = {(u.kind, u.name, u.context) for u in uses}
    explained = {key for key in distinct if is_explained(TokenKey(*key))}
    messages = sum(1 for d in documents for s in d["steps"] if s.get("message"))
    print(
        f"coverage: {len(explained)} of {len(distinct)} distinct tokens (by meaning) explained, "
        f"{sum(map(is_explained, uses))} of {len(uses)} occurrences, "
        f"in {messages} messages of {len(documents)} flows"
    )


def TokenKey(kind, name, context):  # noqa: N802 - a TokenUse without a line
    from sipflows.sip.reference import TokenUse

    return TokenUse(kind, name, 0, context)


if __name__ == "__main__":
    main()
