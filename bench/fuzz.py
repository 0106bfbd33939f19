"""A long fuzz run of the protocol code: inputs tried, crashes and the slowest input per module.

    .venv/bin/python bench/fuzz.py [--examples N] [--seed S]

Each module gets N generated inputs (default 3000) from the strategies the suite uses
(tests/strategies.py). A crash is any exception other than the module's own way of saying
no (FlowDocumentError for documents). Prints one line per module, then every distinct
crash with the smallest input that caused it.
"""

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sipflows.sip.flowdoc import FlowDocumentError, parse_documents, validate_document  # noqa: E402
from sipflows.sip.highlight import highlight_message  # noqa: E402
from sipflows.sip.lexers import HtmlBodyLexer, SdpLexer, SipLexer, XmlBodyLexer  # noqa: E402
from sipflows.sip.lint import lint_flow  # noqa: E402
from sipflows.sip.message import parse_message  # noqa: E402
from sipflows.sip.rfcreader import read_call_flows  # noqa: E402
from tests.strategies import (  # noqa: E402
    focus_lists,
    rfc_texts,
    sip_texts,
    spoiled_documents,
    values,
)


def _lex_all(text: str) -> None:
    for lexer in (SipLexer, SdpLexer, XmlBodyLexer, HtmlBodyLexer):
        for _ in lexer().get_tokens_unprocessed(text):
            pass


def _validate(document) -> None:
    try:
        validate_document(document, name="fuzz")
    except FlowDocumentError:
        pass


def _parse_documents(text: str) -> None:
    try:
        parse_documents(text, name="fuzz")
    except FlowDocumentError:
        pass


def _check(document) -> None:
    try:
        validated = validate_document(document, name="fuzz")
    except FlowDocumentError:
        return
    lint_flow(validated)


def _big(strategy):
    """Longer inputs than the suite's: the slow cases hide in size."""
    return st.lists(strategy, min_size=1, max_size=8).map("".join)


MODULES = {
    "message (parse_message)": (_big(sip_texts(80)), parse_message),
    "lexers (SIP, SDP, XML, HTML)": (_big(sip_texts(80)), _lex_all),
    "highlight (highlight_message)": (
        st.tuples(_big(sip_texts(80)), focus_lists()),
        lambda args: highlight_message(*args),
    ),
    "flowdoc (validate_document)": (spoiled_documents(), _validate),
    "flowdoc (parse_documents)": (
        st.one_of(values.map(json.dumps), st.text(max_size=2000)),
        _parse_documents,
    ),
    "lint (lint_flow)": (spoiled_documents(), _check),
    "rfcreader (read_call_flows)": (_big(rfc_texts(120)), read_call_flows),
}


@dataclass
class Tally:
    inputs: int = 0
    seconds: float = 0.0
    slowest: tuple[float, object] = (0.0, None)
    crashes: dict[str, object] = field(default_factory=dict)


def run(name: str, strategy, target, examples: int, random_seed: int) -> Tally:
    tally = Tally()

    @seed(random_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def fuzz(value):
        started = time.perf_counter()
        try:
            target(value)
        except Exception as error:  # what we are looking for: report, go on
            kind = f"{type(error).__name__}: {str(error)[:80]}"
            known = tally.crashes.get(kind)
            if known is None or len(repr(value)) < len(repr(known)):
                tally.crashes[kind] = value
        elapsed = time.perf_counter() - started
        tally.inputs += 1
        tally.seconds += elapsed
        if elapsed > tally.slowest[0]:
            tally.slowest = (elapsed, value)

    fuzz()
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=5359)
    args = parser.parse_args()
    print(f"{'module':32} {'inputs':>7} {'crashes':>7} {'total s':>8} {'slowest ms':>10}  size")
    totals = [0, 0]
    found = []
    for name, (strategy, target) in MODULES.items():
        tally = run(name, strategy, target, args.examples, args.seed)
        seconds, value = tally.slowest
        size = len(repr(value))
        print(
            f"{name:32} {tally.inputs:7} {len(tally.crashes):7} {tally.seconds:8.1f} "
            f"{seconds * 1000:10.1f}  {size}"
        )
        totals[0] += tally.inputs
        totals[1] += len(tally.crashes)
        found += [(name, kind, value) for kind, value in tally.crashes.items()]
    print(f"{'all':32} {totals[0]:7} {totals[1]:7}")
    for name, kind, value in found:
        print(f"\n{name}: {kind}\n  smallest input: {value!r:.500}")


if __name__ == "__main__":
    main()
