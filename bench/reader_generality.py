"""How faithfully the RFC reader reads the call-flow RFCs it is given.

    .venv/bin/python bench/reader_generality.py [RFC.txt ...]

Without arguments it reads every RFC in ../shared/reference/. For each RFC it prints: the flows
read; the messages the RFC lists (every SIP start line at the start of an indented block, plus
every "Same as / Resend of / Retransmission of Message Fn" entry); the message steps read; how
many listed messages came out exactly as listed (same text, compared per section); how many of
the others the reader reported (a problem on a line of that listing entry); and how many were
lost silently (goal 0). Arrows of diagrams without a listing (RFC 3725) count as listed
messages whose text is unknown: they are "reported" when the reader says it kept them as events.

The expected text of a message is read independently of the reader, by the layout alone: from
its start line to the next line indented less, the next entry heading, comment, start line or
section heading, or a paragraph of prose after a blank line.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sipflows.sip.flowdoc import normalize_message  # noqa: E402
from sipflows.sip.rfcreader import clean_pages, read_call_flows, split_sections  # noqa: E402

REFERENCE = ROOT.parent / "shared" / "reference"
if not REFERENCE.exists():
    REFERENCE = Path("/work/shared/reference")

START = re.compile(r"^(?:[A-Z][A-Z-]+ +\S+ +SIP/2\.0|SIP/2\.0 +\d{3}\b.*)$")
ENTRY = re.compile(r"^(?:F\d+|\(\d+\)|\*\d+|\d+\.|Message\s+[*#(]?F?\d+\)?:?)(?:\s|$)")
REFERENCE_ENTRY = re.compile(
    r"^(?:same as|resend of|retransmission of)\s+(?:message\s+)?\(?(F?\d+)\)?", re.IGNORECASE
)
PROSE = re.compile(r"^[A-Z][a-z]+(?: [A-Za-z,()'.-]+){4,}")
UNLABELLED_ENTRY = re.compile(r"^[A-Z][\w.'-]*(?: [\w.'-]+)* ?-> ?[\w.'-]+(?: [\w.'-]+)*$")


def indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


HEADER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*\s*:")


def is_message_start(texts: list[str], index: int) -> bool:
    """A start line that begins a message, not one a message body quotes (sipfrag)."""
    previous = next((t.strip() for t in reversed(texts[:index]) if t.strip()), "")
    return not HEADER.match(previous) or bool(ENTRY.match(previous))


def expected_message(lines: list, start: int, base: int) -> tuple[str, int]:
    """The message whose start line is texts[start] from column `base`, as its layout
    delimits it; and the index of the line after it."""
    texts = [line.text for line in lines]
    message: list[str] = [texts[start][base:].strip()]
    joined: list[str] | None = None
    index = start + 1
    while index < len(texts):
        text = texts[index]
        stripped = text.strip()
        if stripped and joined is None and stripped != "<allOneLine>":
            blank_before = not texts[index - 1].strip()
            starts = START.match(stripped) and is_message_start(texts, index)
            if indent(text) < base or starts or stripped.startswith("/*"):
                break
            prose = PROSE.match(stripped) or UNLABELLED_ENTRY.match(stripped)
            if ENTRY.match(stripped) or (blank_before and prose):
                break
        if stripped == "<allOneLine>":
            joined = []
        elif stripped == "</allOneLine>" and joined is not None:
            message.append("".join(joined))
            joined = None
        elif joined is not None:
            joined.append(stripped)
        else:
            # A page break swallows the blank line between the headers and the body.
            if lines[index].after_break and message[-1] and HEADER.match(message[-1]):
                if stripped and not HEADER.match(stripped) and not text[base:][:1].isspace():
                    message.append("")
            message.append(text[base:].rstrip())
        index += 1
    return normalize_message("\n".join(message)), index


def listed_messages(path: Path) -> dict[str, list[tuple[str | None, int, int]]]:
    """Per section: (expected text or None when unknown, first line, last line) of each message."""
    lines = clean_pages(path.read_text(encoding="utf-8", errors="replace"))
    listed: dict[str, list[tuple[str | None, int, int]]] = {}
    for section in split_sections(lines):
        texts = [line.text for line in section.body]
        numbers = [line.number for line in section.body]
        found: list[tuple[str | None, int, int]] = []
        by_label: dict[str, str] = {}
        label = None
        head_line = None
        for index, text in enumerate(texts):
            stripped = text.strip()
            entry = re.match(r"^(?:F|\(|\*|Message\s+[*#(]?F?)(\d+)\)?:?(?![\w.])\s*", stripped)
            if entry:
                label, head_line = f"F{entry[1]}", numbers[index]
            inline = entry is not None and START.match(stripped[entry.end() :])
            starts = START.match(stripped) and is_message_start(texts, index)
            if (starts or inline) and indent(text) > 0:
                base = indent(text) + (entry.end() if inline and entry else 0)
                message, end = expected_message(list(section.body), index, base)
                first = head_line if head_line and numbers[index] - head_line < 6 else None
                found.append((message, first or numbers[index], numbers[end - 1]))
                if label and first:
                    by_label.setdefault(label, message)
                head_line = None
            reference = REFERENCE_ENTRY.match(stripped)
            if reference and head_line and numbers[index] - head_line < 6:
                target = reference[1] if reference[1].startswith("F") else f"F{reference[1]}"
                found.append((by_label.get(target), head_line, numbers[index]))
                head_line = None
        if found:
            listed[section.number] = found
    return listed


ARROW = re.compile(r"<-{2,}|-{2,}>")


def drawn_arrows(path: Path) -> dict[str, int]:
    """Per section: the signalling arrows its ladders draw (between lifelines)."""
    lines = clean_pages(path.read_text(encoding="utf-8", errors="replace"))
    return {
        section.number: count
        for section in split_sections(lines)
        if (
            count := sum(len(ARROW.findall(line.text)) for line in section.body if "|" in line.text)
        )
    }


def measure(path: Path) -> dict[str, int]:
    text = path.read_text(encoding="utf-8", errors="replace")
    reading = read_call_flows(text)
    listed = listed_messages(path)
    read_steps: dict[str, Counter] = {}
    for flow in reading.flows:
        messages = Counter(
            normalize_message(s["message"]) for s in flow["steps"] if s["kind"] == "message"
        )
        read_steps.setdefault(flow["source"]["section"], Counter()).update(messages)
    problems: dict[str, list[int]] = {}
    for problem in reading.problems:
        problems.setdefault(problem.section, []).append(problem.line)
    exact = reported = lost = total = 0
    for number, messages in listed.items():
        available = Counter(read_steps.get(number, Counter()))
        lines = problems.get(number, [])
        for message, first, last in messages:
            total += 1
            if message is not None and available[message] > 0:
                available[message] -= 1
                exact += 1
            elif any(first <= line <= last for line in lines):
                reported += 1
            else:
                lost += 1
    # Sections that draw messages but list none: each arrow is a message whose text the RFC
    # does not give; the reader must say so (once per flow is enough).
    said = {p.section for p in reading.problems if "listing" in p.message}
    arrows = unlisted_reported = 0
    for number, count in drawn_arrows(path).items():
        if number in listed:
            continue
        arrows += count
        unlisted_reported += count if number in said else 0
    return {
        "flows": len(reading.flows),
        "listed": total + arrows,
        "read": sum(sum(c.values()) for c in read_steps.values()),
        "exact": exact,
        "reported": reported + unlisted_reported,
        "lost": lost + arrows - unlisted_reported,
    }


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted(REFERENCE.glob("rfc*.txt"))
    columns = ("flows", "listed", "read", "exact", "reported", "lost")
    print(f"{'RFC':<12}" + "".join(f"{c:>10}" for c in columns))
    totals: Counter = Counter()
    for path in paths:
        figures = measure(path)
        totals.update(figures)
        print(f"{path.stem:<12}" + "".join(f"{figures[c]:>10}" for c in columns))
    print(f"{'total':<12}" + "".join(f"{totals[c]:>10}" for c in columns))


if __name__ == "__main__":
    main()
