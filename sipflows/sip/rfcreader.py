"""Read the call flows of an RFC-style text into flow documents (pure code, no Django).

RFC 5359 and the call-flow RFCs written the same way (RFC 3665, RFC 4579, RFC 5589, ...) draw
each flow as a ladder: a row of names over `|` lifelines, arrows `|------>|` labelled F1, F2...,
media legs `|<=====>|` and notes written across the lanes. A "Message Details" listing then
gives every message (`F1 INVITE Alice -> Proxy 1`, a blank line, the message, indented).
`read_call_flows` turns each numbered section holding such a ladder into a flow document
(see flowdoc) with participants and steps, and reports, with the line of the input, whatever
it could not read or had to reconcile. It brings structure and messages; people write the
explanations.

Rules where the drawings leave room for doubt, kept simple so a person can predict them:

- Page footers (`... [Page N]`), form feeds, running headers (`RFC NNNN ...`) and the blank
  lines around them are dropped. A page break inside a message's headers that swallowed the
  blank line before the body is repaired (and reported): the next line is not a header.
- A section is a call flow when the first ladder before its "Message Details" has an arrow
  labelled with an F-label; other figures (state machines, topologies) are passed over with
  one note. Further ladders in the same section are reported, not read.
- Lanes are the columns of `|` in the rows that hold nothing but lifelines. A lane's name is
  the words (a run with single spaces) written over its column in the rows above the ladder,
  top to bottom ("Music Server", or "Announcement" over "Server"), and in its first rows
  where its own lifeline has not started yet.
- An F-label (`F7`) goes with the arrow on the row under it, else with the arrow it is written
  on or in, else with the arrow on the row above it; it must overlap the arrow horizontally
  (on the arrow's own row: touch it or sit inside it). The rest of the label is the caption.
- The text over a media leg (`===`) is its text. Other notes become event steps, except a
  note that starts with "No" and names RTP or media ("No RTP Sent!"), which is a media step
  of kind none between the lanes around it.
- A listing entry is a line starting with its F-label whose message (a SIP start line) follows
  on the next line that holds something, or on the same line (`F1    INVITE sip:...`). The
  message ends at the next entry or at a line indented less than it. A /* comment */ is kept
  apart, with the entry it stands before (after the last message: with the last).
- Steps keep the diagram's order (rows top to bottom, then left to right); where it differs
  from the numbering, that is reported.
- Listing names are matched to lanes when they are equal, equal ignoring case and punctuation,
  or one is the other's first or last words ("Proxy 1" and "Proxy", "B1" and "User B1"), or
  equal without trailing digits. Each such match is reported once per section. Where the
  listing's direction differs from the arrow, the arrow wins and the difference is reported.
- An arrow whose label has no listing entry (or that has a caption but no F-label) cannot be a
  message step, which needs the message: it becomes an event step with its caption as text
  and its ends as from/to, so the ladder stays complete, and it is reported.
- Roles: "proxy" when the name says Proxy; "server" for Server, Focus, Controller, Registrar;
  otherwise "ua" (a gateway ends the SIP dialog like any user agent).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from .flowdoc import FlowDocumentError, validate_document
from .rfc5359 import FLOW_SLOTS

WARNING, INFO = "warning", "info"

FOOTER_RE = re.compile(r"\[Page \d+\]\s*$")
RUNNING_HEADER_RE = re.compile(r"^(?:RFC \d+|Internet-Draft)\s", re.IGNORECASE)
DOCUMENT_RE = re.compile(r"^(?:RFC (\d+) {2,}|Request for Comments:\s*(\d+))")
HEADING_RES = (
    re.compile(r"^(?P<number>\d+(?:\.\d+)+\.?|\d+\.)\s+(?P<title>[A-Z0-9].*?)\s*$"),
    re.compile(r"^Appendix (?P<number>[A-Z](?:\.\d+)*)[.:]?\s+(?P<title>\S.*?)\s*$"),
    re.compile(r"^(?P<number>[A-Z](?:\.\d+)+)\.?\s+(?P<title>[A-Z0-9].*?)\s*$"),
)
DOT_LEADERS_RE = re.compile(r"\.\s?\.\s?\.")
MESSAGE_DETAILS_RE = re.compile(r"^\s*Message Details\s*$", re.IGNORECASE)

PURE_LIFELINES_RE = re.compile(r"^[ |]*\|[ |]*\|[ |]*$")
ARROW_PIECE_RE = re.compile(r"<?(?:-{2,}|={2,}|\.{4,})>?")
MEDIA_STROKES = "=."
F_LABEL_RE = re.compile(r"(?<![A-Za-z0-9])F(\d+)(?![A-Za-z0-9])")
# "(7)": the other way call-flow RFCs number their arrows; read as F7.
NUMBER_LABEL_RE = re.compile(r"(?<![\w(*])(?:\((\d+)\)|\*(\d+))(?![\w)])")
SIP_WORD_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:[1-6]\d\d|[1-6]xx|INVITE|ACK|BYE|CANCEL|OPTIONS|REGISTER|PRACK|"
    r"SUBSCRIBE|NOTIFY|PUBLISH|INFO|REFER|MESSAGE|UPDATE)(?![A-Za-z0-9])"
)
FIGURE_RE = re.compile(r"^\s*Figure\s+(\d+)\s*[:.]?\s*(.*?)\s*$")
NO_MEDIA_RE = re.compile(r"^\W*no\b.*\b(?:rtp|media)\b", re.IGNORECASE)

# "F1 INVITE Alice -> Bob", or numbered the other ways: "(1)", "Message *1:", "Message 1:".
ENTRY_RE = re.compile(
    r"^\s*(?:F|\(|\*|Message\s+[*#(]?F?)(?P<number>\d+)\)?:?(?![\w.])[ \t]*(?P<rest>.*?)\s*$"
)
START_LINE_RE = re.compile(r"^(?:[A-Z][A-Z-]* +\S+ +SIP/2\.0|SIP/2\.0 +\d{3}\b.*)$")
SINGLE_SPACED_START_RE = re.compile(r"^(?:[A-Z][A-Z-]* \S+ SIP/2\.0|SIP/2\.0 \d{3} \S.*)$")
REFERENCE_RE = re.compile(
    r"^(?:same as|identical to|resend of|retransmission of|repeat of)\s+"
    r"(?:message\s+)?\(?F(?P<number>\d+)\)?",
    re.IGNORECASE,
)
MAX_HEADING_LENGTH = 48  # longer lines that start with an F-label are prose
# An entry without label ("GW 1 -> PBX A", then "Seizure"): it ends the message before it.
UNLABELLED_HEADING_RE = re.compile(
    r"^[A-Z][\w.'-]*(?: [\w.'-]+){0,3} ?-> ?[A-Z][\w.'-]*(?: [\w.'-]+){0,3}$"
)
HEADER_FIELD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _.!%*+`'~-]*:")
ALL_ONE_LINE = ("<allOneLine>", "</allOneLine>")
ALL_ONE_LINE_OPEN_RE = re.compile(r"^<\s*allOneLine\s*>$", re.IGNORECASE)
ALL_ONE_LINE_CLOSE_RE = re.compile(r"^<\s*/?\s*/?\s*allOneLine\b.*>?$", re.IGNORECASE)

NAME_SLACK = 2  # a name may start or end this many columns beyond its lifeline
NAME_REACH = 6  # a name over no lifeline still names one this near, if no other name does
MAX_NAME_LENGTH = 24  # longer runs of words over a ladder are prose, not lane names
MAX_NAME_ROWS = 4
MAX_BREAK_LINES = 3  # lines of prose or notes that may interrupt one ladder
MAX_MARK_LENGTH = 12  # words beside a ladder this short mark its arrows ("dialog1")
ROLE_WORDS = {"proxy": ("proxy",), "server": ("server", "focus", "controller", "registrar")}


@dataclass(frozen=True)
class ReaderProblem:
    """Something the reader could not read (warning) or reconciled (info)."""

    section: str
    line: int  # 1-based, in the text given to read_call_flows
    message: str
    severity: str = WARNING


class Comment(NamedTuple):
    """A /* comment */ of the listing, with the step it stands by."""

    section: str
    label: str
    text: str
    flow: str = ""  # the slug of the flow read (a section may hold several figures)


class Caption(NamedTuple):
    """What the diagram writes by a message arrow besides its F-label ("INVITE(hold)")."""

    section: str
    label: str
    text: str
    flow: str = ""


@dataclass
class RfcReading:
    document: str | None = None
    flows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[ReaderProblem] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    captions: list[Caption] = field(default_factory=list)
    headings: list[Caption] = field(default_factory=list)  # "ACK Carol -> Bob" of F11


def read_call_flows(
    text: str, *, document: str | None = None, section: str | None = None
) -> RfcReading:
    """One validated flow document per call-flow section (or only `section`, e.g. "2.16")."""
    lines = clean_pages(text)
    reading = RfcReading(document=_document_name(document) if document else detect_document(text))
    wanted = section.rstrip(".") if section else None
    sections = [s for s in split_sections(lines) if wanted in (None, s.number)]
    if wanted and not sections:
        reading.problems.append(ReaderProblem(wanted, 1, f"there is no section {wanted}"))
    for found in sections:
        _read_section(found, reading, requested=wanted is not None)
    reading.problems.sort(key=lambda problem: problem.line)
    return reading


# --- Pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceLine:
    text: str
    number: int  # 1-based line of the input
    after_break: bool = False  # the first line after a page break


def clean_pages(text: str) -> list[SourceLine]:
    """The text without page furniture, each line with its number in the input."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines: list[SourceLine] = []
    index, after_break = 0, False
    while index < len(raw):
        line = raw[index]
        footer = FOOTER_RE.search(line) is not None
        if footer or line.startswith("\f"):
            while lines and not lines[-1].text:  # the padding above the footer
                lines.pop()
            if not footer:  # what follows the form feed is the new page's first line
                raw[index] = line.lstrip("\f")
            index = _skip_page_top(raw, index + 1 if footer else index)
            after_break = True
            continue
        lines.append(SourceLine(line.replace("\f", "").rstrip(), index + 1, after_break))
        after_break = False
        index += 1
    return lines


def _skip_page_top(raw: list[str], index: int) -> int:
    """The index past the form feed, the running header and the blank lines under it."""

    def blank(i: int) -> bool:
        return i < len(raw) and not raw[i].replace("\f", "").strip()

    while blank(index):
        index += 1
    if index < len(raw) and RUNNING_HEADER_RE.match(raw[index].replace("\f", "")):
        index += 1
    while blank(index):
        index += 1
    return index


def detect_document(text: str) -> str | None:
    """The document's name ("RFC 5359") from its first page or its running headers."""
    for line in text.splitlines():
        match = DOCUMENT_RE.match(line.replace("\f", ""))
        if match:
            return f"RFC {match.group(1) or match.group(2)}"
    return None


def _document_name(document: str) -> str:
    match = re.fullmatch(r"(?i)\s*(?:rfc)?\s*-?\s*(\d+)\s*", document)
    return f"RFC {match.group(1)}" if match else document.strip()


# --- Sections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    number: str
    title: str
    line: int
    body: tuple[SourceLine, ...]


def split_sections(lines: Sequence[SourceLine]) -> list[Section]:
    """Numbered headings at the left margin ("2.16.  Call Pickup") and the lines under them."""
    heads = [(i, m) for i, line in enumerate(lines) if (m := _heading(line.text))]
    sections = []
    for k, (start, match) in enumerate(heads):
        stop = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        title, body_start = match.group("title"), start + 1
        # A long title wraps onto lines indented like the title itself.
        while body_start < stop and _indent(lines[body_start].text) == match.start("title"):
            title += " " + lines[body_start].text.strip()
            body_start += 1
        number = match.group("number").rstrip(".")
        sections.append(Section(number, title, lines[start].number, tuple(lines[body_start:stop])))
    return sections


def _heading(text: str) -> re.Match[str] | None:
    match = next((m for regex in HEADING_RES if (m := regex.match(text))), None)
    if match and DOT_LEADERS_RE.search(match.group("title")):
        return None  # a table of contents entry
    return match


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


# --- Problems ---------------------------------------------------------------------------


@dataclass
class _Report:
    problems: list[ReaderProblem]
    section: str
    said: set[str] = field(default_factory=set)

    def warn(self, line: int, message: str) -> None:
        self.problems.append(ReaderProblem(self.section, line, message))

    def info(self, line: int, message: str) -> None:
        """Said once per section: a reconciliation holds for every entry it applies to."""
        if message not in self.said:
            self.said.add(message)
            self.problems.append(ReaderProblem(self.section, line, message, INFO))


# --- The ladder diagram -----------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """Words written on one row of a diagram; columns are 0-based, end exclusive."""

    row: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Arrow:
    row: int
    start: int  # column of the left end (its lifeline)
    end: int  # column of the right end
    left: int  # lane index
    right: int
    stroke: str  # "-" signalling, "=" media
    heads: str  # "<", ">", "<>" or ""

    @property
    def ends(self) -> tuple[int, int]:
        """(from, to) lanes; a leg drawn from the right starts at the right."""
        return (self.right, self.left) if self.heads == "<" else (self.left, self.right)


@dataclass(frozen=True)
class DrawnStep:
    """A step as the diagram draws it, before the listing gives its message."""

    kind: str  # "message" | "media" | "event"
    row: int
    column: int
    line: int
    text: str  # the caption or note, as written
    label: str | None = None
    ends: tuple[int, int] | None = None
    media: str | None = None
    shared: bool = False  # one of several labels on one arrow: the listing gives its ends


@dataclass
class Diagram:
    lanes: list[str]
    steps: list[DrawnStep]


def find_diagrams(body: Sequence[SourceLine]) -> list[tuple[int, int]]:
    """(start, stop) of each ladder: rows holding `|`, blank rows between them included, and
    a few lines of prose or notes that break the lifelines when the same lifelines go on."""
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(body):
        if "|" not in body[index].text:
            index += 1
            continue
        start = stop = index
        while index < len(body) and ("|" in body[index].text or not body[index].text):
            if "|" in body[index].text:
                stop = index + 1
            index += 1
        if spans and _continues_ladder(body, spans[-1], (start, stop)):
            spans[-1] = (spans[-1][0], stop)
        else:
            spans.append((start, stop))
        index = stop
    return [s for s in spans if any(ARROW_PIECE_RE.search(line.text) for line in body[s[0] : s[1]])]


def _continues_ladder(
    body: Sequence[SourceLine], before: tuple[int, int], after: tuple[int, int]
) -> bool:
    """Whether the lines between two runs of lifelines only interrupt one ladder."""
    gap = [line.text for line in body[before[1] : after[0]] if line.text.strip()]
    if len(gap) > MAX_BREAK_LINES or any(
        FIGURE_RE.match(text) or MESSAGE_DETAILS_RE.match(text) or _heading(text) for text in gap
    ):
        return False
    first = _lane_columns([line.text for line in body[before[0] : before[1]]])
    second = _lane_columns([line.text for line in body[after[0] : after[1]]])
    return len(first) == len(second) >= 2 and all(
        abs(a - b) <= 1 for a, b in zip(first, second, strict=True)
    )


def read_diagram(
    body: Sequence[SourceLine], start: int, stop: int, report: _Report
) -> Diagram | None:
    rows = body[start:stop]
    columns = _lane_columns([row.text for row in rows])
    if len(columns) < 2:
        report.warn(rows[0].number, "a diagram with fewer than two lifelines was not read")
        return None
    arrows: list[Arrow] = []
    chunks: list[Chunk] = []
    for index, row in enumerate(rows):
        pieces = _arrow_pieces(row.text)
        arrows += _arrows(index, row, pieces, columns, report)
        chunks += _chunks(index, _blank_out(row.text))
    first_arrow = min((a.row for a in arrows), default=len(rows))
    lanes, chunks = _lane_names(body, start, rows, columns, chunks, first_arrow, report)
    return Diagram(lanes, _drawn_steps(rows, columns, arrows, chunks, report))


def _lane_columns(rows: list[str]) -> list[int]:
    """The lifelines: columns of `|` in rows of nothing but lifelines, a column or two wide."""
    source = [row for row in rows if PURE_LIFELINES_RE.match(row)] or rows
    counts = Counter(i for row in source for i, char in enumerate(row) if char == "|")
    clusters: list[list[int]] = []
    for column in sorted(counts):
        if clusters and column - clusters[-1][-1] <= 1:
            clusters[-1].append(column)
        else:
            clusters.append([column])
    return [max(cluster, key=counts.__getitem__) for cluster in clusters]


def _lane_at(columns: list[int], column: int) -> int | None:
    """The lane whose lifeline is at `column` (one off is still that lane)."""
    near = [i for i, x in enumerate(columns) if abs(x - column) <= 1]
    return min(near, key=lambda i: abs(columns[i] - column)) if near else None


def _arrow_pieces(text: str) -> list[tuple[int, int]]:
    """Spans of arrow strokes; a stroke interrupted by a crossed lifeline or by its own
    caption (`|--INVITE F1-->|`) is one piece, two heads pointing apart are two arrows."""
    pieces: list[tuple[int, int]] = []
    for match in ARROW_PIECE_RE.finditer(text):
        start, end = match.span()
        if pieces and _continues(text, pieces[-1], (start, end)):
            pieces[-1] = (pieces[-1][0], end)
        else:
            pieces.append((start, end))
    return pieces


def _continues(text: str, before: tuple[int, int], after: tuple[int, int]) -> bool:
    first, second = text[before[0] : before[1]], text[after[0] : after[1]]
    between = text[before[1] : after[0]]
    stroke = first.strip("<>")[0]
    if stroke != second.strip("<>")[0] or first.endswith(">") or second.startswith("<"):
        return False
    if stroke == "-" and first.startswith("<") and second.endswith(">"):
        return False  # two messages leaving one lane
    # A crossed lifeline, maybe with a space either side ("--- | --->"), or a caption.
    return between.strip() == "|" or ("|" not in between and bool(between.strip()))


def _blank_out(text: str) -> str:
    """The row with the strokes (not captions written inside them) replaced by spaces."""
    return ARROW_PIECE_RE.sub(lambda m: " " * len(m.group()), text)


def _arrows(
    row: int,
    line: SourceLine,
    pieces: list[tuple[int, int]],
    columns: list[int],
    report: _Report,
) -> list[Arrow]:
    text, arrows = line.text, []
    for start, end in pieces:
        drawn = text[start:end]
        heads = ("<" if drawn.startswith("<") else "") + (">" if drawn.endswith(">") else "")
        stroke = drawn.strip("<>")[0]
        left_column = start - 1 if start and text[start - 1] == "|" else start
        right_column = end if end < len(text) and text[end] == "|" else end - 1
        left, right = _lane_at(columns, left_column), _lane_at(columns, right_column)
        if left is None or right is None or left == right:
            report.warn(line.number, f"arrow '{drawn}' does not run from one lifeline to another")
            continue
        if stroke == "-" and len(heads) != 1:
            report.warn(line.number, f"arrow '{drawn}' needs one head to say its direction")
            continue
        arrows.append(Arrow(row, columns[left], columns[right], left, right, stroke, heads))
    return arrows


def _labels_in(text: str) -> list[str]:
    """The F-labels a caption holds, "(7)" read as F7."""
    numbered = [a or b for a, b in NUMBER_LABEL_RE.findall(text)]
    return [f"F{n}" for n in F_LABEL_RE.findall(text) + numbered]


def _chunks(row: int, text: str) -> list[Chunk]:
    """Words between lifelines; a wide gap separates two notes."""
    chunks = []
    for segment in re.finditer(r"[^|]+", text):
        offset = segment.start()
        for words in re.finditer(r"\S+(?: {1,2}\S+)*", segment.group()):
            if any(char.isalnum() for char in words.group()):
                start = offset + words.start()
                chunks.append(Chunk(row, start, start + len(words.group()), words.group()))
    return chunks


def _lane_names(
    body: Sequence[SourceLine],
    start: int,
    rows: Sequence[SourceLine],
    columns: list[int],
    chunks: list[Chunk],
    first_arrow: int,
    report: _Report,
) -> tuple[list[str], list[Chunk]]:
    """Names over the lifelines, and the chunks that are not names.

    Names are read from the lines above the ladder, and from its first rows where a lane's
    lifeline has not started yet (a name's last word may sit beside other lifelines)."""
    parts: list[list[str]] = [[] for _ in columns]
    for line in _name_lines(body, start, columns):
        runs = list(re.finditer(r"\S+(?: \S+)*", line.text))
        # As many names as lifelines: each names its own, however far off it is written.
        lanes = range(len(columns)) if len(runs) == len(columns) else _nearest_lanes(columns, runs)
        for match, lane in zip(runs, lanes, strict=True):
            if lane is None:
                report.warn(line.number, f"name '{match.group()}' is over no lifeline")
            else:
                parts[lane].append(match.group())
    started = [_first_row(rows, x) for x in columns]
    rest = []
    for chunk in chunks:
        lane = _lane_under(columns, chunk.start, chunk.end)
        if (
            chunk.row < first_arrow
            and lane is not None
            and chunk.row < started[lane]
            and not _labels_in(chunk.text)
        ):
            parts[lane].append(chunk.text)
        else:
            rest.append(chunk)
    names = []
    for index, words in enumerate(parts):
        if not words:
            report.warn(rows[0].number, f"the lifeline at column {columns[index]} has no name")
        names.append(" ".join(words) or f"Lane {index + 1}")
    return names, rest


def _nearest_lanes(columns: list[int], runs: list[re.Match[str]]) -> list[int | None]:
    """The lane each name stands over; a name beside every lifeline goes to the nearest one
    within a few columns that no other name on its line takes."""
    lanes = [_lane_under(columns, m.start(), m.end()) for m in runs]
    for index, match in enumerate(runs):
        if lanes[index] is None:
            middle = (match.start() + match.end() - 1) / 2
            free = [
                i
                for i, x in enumerate(columns)
                if i not in lanes and abs(x - middle) <= len(match.group()) / 2 + NAME_REACH
            ]
            lanes[index] = min(free, key=lambda i: abs(columns[i] - middle)) if free else None
    return lanes


def _name_lines(body: Sequence[SourceLine], start: int, columns: list[int]) -> list[SourceLine]:
    """The lines of names right above a ladder (one blank line may separate them).

    Names never continue over a page break: what is above it ends the previous page."""
    found: list[SourceLine] = []
    index, blanks = start - 1, 0
    while index >= 0 and len(found) < MAX_NAME_ROWS:
        line = body[index]
        if not line.text.strip():
            blanks += 1
            if found or blanks > 1:
                break
        elif _names_only(line.text, columns):
            found.insert(0, line)
            if line.after_break:
                break
        else:
            break
        index -= 1
    return found


def _names_only(text: str, columns: list[int]) -> bool:
    """Short runs of words, not ending like a sentence, over at least one lifeline."""
    words = [m for m in re.finditer(r"\S+(?: \S+)*", text)]
    return all(
        len(m.group()) <= MAX_NAME_LENGTH and m.group()[-1] not in ".,;:" for m in words
    ) and (
        len(words) == len(columns)
        or any(_lane_under(columns, m.start(), m.end()) is not None for m in words)
    )


def _lane_under(columns: list[int], start: int, end: int) -> int | None:
    """The lane whose lifeline the words stand over (the nearest to their middle)."""
    middle = (start + end - 1) / 2
    near = [i for i, x in enumerate(columns) if start - NAME_SLACK <= x < end + NAME_SLACK]
    return min(near, key=lambda i: abs(columns[i] - middle)) if near else None


def _first_row(rows: Sequence[SourceLine], column: int) -> int:
    return next(
        (i for i, row in enumerate(rows) if "|" in row.text[max(column - 1, 0) : column + 2]),
        len(rows),
    )


def _drawn_steps(
    rows: Sequence[SourceLine],
    columns: list[int],
    arrows: list[Arrow],
    chunks: list[Chunk],
    report: _Report,
) -> list[DrawnStep]:
    signals = [a for a in arrows if a.stroke == "-"]
    legs = [a for a in arrows if a.stroke in MEDIA_STROKES]
    chunks = _two_line_labels(chunks, {a.row for a in arrows}, columns)
    chunks = _without_margin_marks(chunks, columns, rows, report)
    labels = [c for c in chunks if _labels_in(c.text)]
    notes = [c for c in chunks if not _labels_in(c.text)]
    labelled = _pair(labels, signals, ("above", "beside", "below"))
    # A numbered media leg ("(7) RTP") has its number in its text.
    unpaired = [c for c in labels if c not in labelled.values()]
    leg_texts = _pair(notes + unpaired, legs, ("above", "beside"))
    labels = [c for c in labels if c not in leg_texts.values()]
    captions = _pair(
        [c for c in notes if c not in leg_texts.values()],
        [a for a in signals if a not in labelled],
        ("above", "beside"),
    )
    texts = {**labelled, **leg_texts, **captions}
    steps = [_arrow_step(a, texts.get(a), rows, report) for a in arrows]
    steps += [
        replace(step, label=label, shared=True, column=step.column + k)
        for step in steps
        if step is not None and step.kind == "message"
        for k, label in enumerate(_labels_in(step.text)[1:], start=1)
    ]
    for label in labels:
        if label not in labelled.values():
            report.warn(rows[label.row].number, f"label '{label.text}' is by no arrow")
    used = set(texts.values())
    for group in _note_groups([c for c in notes if c not in used]):
        steps.append(_note_step(group, rows, columns))
    drawn = [s for s in steps if s is not None]
    return sorted(drawn, key=lambda s: (s.row, s.column))


def _without_margin_marks(
    chunks: list[Chunk], columns: list[int], rows: Sequence[SourceLine], report: _Report
) -> list[Chunk]:
    """Short words beside the ladder ("dialog1") mark arrows; they are no steps of their own."""
    marks = [
        c
        for c in chunks
        if (c.end < columns[0] or c.start > columns[-1])
        and len(c.text) <= MAX_MARK_LENGTH
        and not _labels_in(c.text)
    ]
    if marks:
        said = ", ".join(dict.fromkeys(f"'{c.text}'" for c in marks))
        report.info(rows[marks[0].row].number, f"words beside the ladder ({said}) are not steps")
    return [c for c in chunks if c not in marks]


def _two_line_labels(chunks: list[Chunk], arrow_rows: set[int], columns: list[int]) -> list[Chunk]:
    """A label written over two lines ("INVITE (hold)" over "F5", or under it) is one label:
    the line of words joins the F-label it stands against, on a row without arrows, between
    the same two lifelines (words written across a lifeline are a note)."""

    def gap(chunk: Chunk) -> int:
        return (
            sum(x < chunk.start for x in columns)
            if not any(chunk.start <= x < chunk.end for x in columns)
            else -1
        )

    labels = {c for c in chunks if _labels_in(c.text)}
    merged: dict[Chunk, Chunk] = {}
    used: set[Chunk] = set()
    for label in sorted(labels, key=lambda c: (c.row, c.start)):
        for note in chunks:
            if note in labels or note in used or note.row in arrow_rows:
                continue
            above = note.row == label.row - 1 and label.row not in arrow_rows
            below = note.row == label.row + 1 and note.row + 1 in arrow_rows
            beside = min(note.end, label.end) > max(note.start, label.start)
            if (above or below) and beside and gap(note) == gap(label) != -1:
                first, second = (note, label) if above else (label, note)
                merged[label] = Chunk(
                    max(note.row, label.row),
                    min(note.start, label.start),
                    max(note.end, label.end),
                    f"{first.text} {second.text}",
                )
                used.add(note)
                break
    return [merged.get(c, c) for c in chunks if c not in used]


def _pair(chunks: list[Chunk], arrows: list[Arrow], places: Iterable[str]) -> dict[Arrow, Chunk]:
    """Give each arrow one chunk, trying the places in order (see the module's rules)."""
    paired: dict[Arrow, Chunk] = {}
    for place in places:
        for chunk in chunks:
            if chunk in paired.values():
                continue
            scored = [(_fit(chunk, a, place), a) for a in arrows if a not in paired]
            score, arrow = max(scored, key=lambda s: s[0], default=(0, None))
            if arrow is not None and score > 0:
                paired[arrow] = chunk
    return paired


def _fit(chunk: Chunk, arrow: Arrow, place: str) -> int:
    """How well a chunk placed above, beside or below an arrow sits as its label (0: not)."""
    overlap = min(chunk.end, arrow.end + 1) - max(chunk.start, arrow.start)
    if place == "above":
        return overlap if chunk.row == arrow.row - 1 else 0
    if place == "below":
        return overlap if chunk.row == arrow.row + 1 else 0
    if chunk.row != arrow.row:
        return 0
    gap = max(chunk.start - arrow.end, arrow.start - chunk.end + 1)
    return 1 if overlap > 0 or gap <= 3 else 0


def _arrow_step(
    arrow: Arrow, chunk: Chunk | None, rows: Sequence[SourceLine], report: _Report
) -> DrawnStep | None:
    line = rows[arrow.row].number
    if arrow.stroke in MEDIA_STROKES:
        if chunk is None:
            report.warn(line, "media leg without text: taken as 'RTP'")
        if not arrow.heads and arrow.stroke == "=":  # a dotted leg has none
            report.warn(line, "media leg without heads: taken as two-way")
        media = "one-way" if len(arrow.heads) == 1 else "two-way"
        text = _caption(chunk.text) if chunk else "RTP"
        return DrawnStep("media", arrow.row, arrow.start, line, text, ends=arrow.ends, media=media)
    if chunk is None:
        report.warn(line, "arrow without label: not read")
        return None
    found = _labels_in(chunk.text)
    if len(found) > 1:
        report.info(
            line,
            f"label '{chunk.text}' holds {', '.join(found)}: one arrow drawn for several "
            f"messages, each read with the direction its listing entry gives",
        )
    label = found[0] if found else None
    return DrawnStep("message", arrow.row, arrow.start, line, chunk.text, label, arrow.ends)


def _note_groups(notes: list[Chunk]) -> list[list[Chunk]]:
    """Notes written over several rows, one under the other, read as one."""
    groups: list[list[Chunk]] = []
    for chunk in sorted(notes, key=lambda c: (c.row, c.start)):
        above = next(
            (
                g
                for g in groups
                if g[-1].row == chunk.row - 1
                and min(g[-1].end, chunk.end) > max(g[-1].start, chunk.start)
            ),
            None,
        )
        if above is None:
            groups.append([chunk])
        else:
            above.append(chunk)
    return groups


def _note_step(group: list[Chunk], rows: Sequence[SourceLine], columns: list[int]) -> DrawnStep:
    first = group[0]
    text = " ".join(c.text for c in group)
    line = rows[first.row].number
    if not NO_MEDIA_RE.search(text):
        return DrawnStep("event", first.row, first.start, line, text)
    start, end = min(c.start for c in group), max(c.end for c in group)
    left = max((i for i, x in enumerate(columns) if x < start), default=None)
    right = min((i for i, x in enumerate(columns) if x >= end), default=None)
    if left is None or right is None:  # written beside the ladder: it spans every lane
        left, right = 0, len(columns) - 1
    return DrawnStep("media", first.row, first.start, line, text, ends=(left, right), media="none")


# --- The listing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    label: str
    line: int
    heading: str  # the entry's header line after the label, e.g. "INVITE Alice -> Proxy 1"
    message: str | None  # None: the entry lists no SIP message (ISUP, DNS, ...)
    refers_to: str | None = None  # "Same as Message F3": that entry's label


@dataclass
class Listing:
    entries: dict[str, Entry] = field(default_factory=dict)
    comments: list[tuple[str, str]] = field(default_factory=list)  # (label, text)


def read_listing(lines: Sequence[SourceLine], report: _Report) -> Listing:
    """The entries after "Message Details" (or after the diagram), by F-label.

    Every entry heading starts an entry, whatever it lists, so a message never runs on into
    the next entry. A comment between two messages stands by the next one; after the last,
    by the last."""
    heads = _entry_heads(lines)
    listing = Listing()
    waiting = _comments(lines, 0, heads[0] if heads else len(lines))
    label = ""
    for k, head in enumerate(heads):
        stop = heads[k + 1] if k + 1 < len(heads) else len(lines)
        if not ENTRY_RE.match(lines[head].text):  # an entry without label: nothing to read
            listing.comments += [(label, text) for text in waiting if label]
            waiting = _comments(lines, head + 1, stop)
            continue
        entry, inside, after = _read_entry(lines, head, stop, report)
        label = entry.label
        listing.comments += [(label, text) for text in waiting + inside]
        waiting = after
        if label in listing.entries:
            report.warn(entry.line, f"{label}: listed twice; the first one is kept")
        else:
            listing.entries[label] = entry
    listing.comments += [(label, text) for text in waiting if label]
    _resolve_references(listing, report)
    return listing


def _entry_heads(lines: Sequence[SourceLine]) -> list[int]:
    """Lines that head an entry: an F-label, then a heading, a start line or nothing; prose
    that starts with a label ("F2 is the answer.") heads none. Comments are passed over."""
    heads, index = [], 0
    while index < len(lines):
        text = lines[index].text.strip()
        if text.startswith("/*"):
            index = _comment_end(lines, index)
            continue
        match = ENTRY_RE.match(text)
        after_blank = index == 0 or not lines[index - 1].text.strip()
        if match and _is_heading(match["rest"]):
            heads.append(index)
        elif after_blank and UNLABELLED_HEADING_RE.match(text):  # "GW 1 -> PBX A"
            heads.append(index)
        index += 1
    return heads


def _is_heading(rest: str) -> bool:
    if not rest or START_LINE_RE.match(rest) or "->" in rest:
        return True
    return len(rest) <= MAX_HEADING_LENGTH and rest[-1] not in ".,;:" and not rest[0].islower()


def _message_start(lines: Sequence[SourceLine], index: int) -> tuple[int, int] | None:
    """For an entry's header line: (line index, column) where its SIP message starts."""
    match = ENTRY_RE.match(lines[index].text)
    if not match:
        return None
    if START_LINE_RE.match(match.group("rest")):  # "F1    INVITE sip:... SIP/2.0"
        return index, match.start("rest")
    following = _skip_comments(lines, index + 1)
    if following < len(lines) and START_LINE_RE.match(lines[following].text.strip()):
        return following, _indent(lines[following].text)
    return None


def _skip_comments(lines: Sequence[SourceLine], index: int) -> int:
    while index < len(lines):
        text = lines[index].text.strip()
        if text.startswith("/*"):
            index = _comment_end(lines, index)
        elif text:
            return index
        else:
            index += 1
    return index


def _comment_end(lines: Sequence[SourceLine], index: int) -> int:
    """The index after a /* comment */ starting at `index`."""
    while index < len(lines) and "*/" not in lines[index].text:
        index += 1
    return index + 1


def _comment_text(lines: Sequence[SourceLine], start: int, stop: int) -> str:
    return "\n".join(line.text.strip() for line in lines[start:stop])


def _comments(lines: Sequence[SourceLine], start: int, stop: int) -> list[str]:
    found, index = [], start
    while index < stop:
        if lines[index].text.strip().startswith("/*"):
            end = min(_comment_end(lines, index), stop)
            found.append(_comment_text(lines, index, end))
            index = end
        else:
            index += 1
    return found


def _read_entry(
    lines: Sequence[SourceLine], head: int, stop: int, report: _Report
) -> tuple[Entry, list[str], list[str]]:
    """The entry at `head`, the comments inside its message and those after it."""
    match = ENTRY_RE.match(lines[head].text)
    assert match is not None  # heads are entry lines
    label, rest = f"F{match['number']}", match["rest"]
    number = lines[head].number
    start = _message_start(lines, head)
    if start is None or start[0] >= stop:
        content = _skip_comments(lines, head + 1)
        said = lines[content].text.strip() if content < stop else ""
        reference = REFERENCE_RE.match(said)
        target = f"F{reference['number']}" if reference else None
        entry = Entry(label, number, rest, None, target)
        return entry, [], _comments(lines, head + 1, stop)
    first, base = start
    inline = first == head  # "F1    INVITE sip:... SIP/2.0": the message starts on this line
    message, inside, after = _read_message(
        lines, first + 1 if inline else first, stop, base, label, report
    )
    if inline:
        message.insert(0, rest)
    if not SINGLE_SPACED_START_RE.match(message[0]):
        report.info(
            lines[first].number,
            f"{label}: the start line '{message[0]}' is not spaced as RFC 3261 §7.1 says "
            f"(one space between its parts): kept as written",
        )
    entry = Entry(label, number, "" if inline else rest, "\n".join(message) + "\n")
    return entry, _comments(lines, head + 1, first) + inside, after


def _resolve_references(listing: Listing, report: _Report) -> None:
    """ "Same as Message F3": the entry's message is F3's (followed through other such)."""
    for label, entry in list(listing.entries.items()):
        if entry.refers_to is None:
            continue
        seen, target = {label}, listing.entries.get(entry.refers_to)
        while target is not None and target.refers_to and target.label not in seen:
            seen.add(target.label)
            target = listing.entries.get(target.refers_to)
        if target is None or target.message is None:
            report.warn(
                entry.line,
                f"{label}: listed as the same as {entry.refers_to}, which lists no SIP "
                f"message: kept as an event",
            )
            continue
        report.info(
            entry.line, f"{label}: listed as the same as {target.label}: its message is used"
        )
        listing.entries[label] = replace(entry, message=target.message)


def _read_message(
    lines: Sequence[SourceLine], index: int, stop: int, base: int, label: str, report: _Report
) -> tuple[list[str], list[str], list[str]]:
    """The message's lines (without `base` indentation), and the comments inside and after it.

    It ends where a line is indented less than the message (prose), or at `stop`."""
    message: list[str] = []
    inside: list[str] = []
    after: list[str] = []
    joined: list[SourceLine] | None = None  # the lines of an <allOneLine> block
    while index < stop:
        line = lines[index]
        stripped = line.text.strip()
        if stripped.startswith("/*"):
            end = min(_comment_end(lines, index), stop)
            after.append(_comment_text(lines, index, end))
            index = end
            continue
        if ALL_ONE_LINE_OPEN_RE.match(stripped) and joined is None:
            joined = [line]
        elif joined is not None and ALL_ONE_LINE_CLOSE_RE.match(stripped):
            if stripped != ALL_ONE_LINE[1]:
                report.info(line.number, f"{label}: '{stripped}' taken as {ALL_ONE_LINE[1]}")
            message.append("".join(part.text.strip() for part in joined[1:]))
            joined = None
        elif joined is not None:
            joined.append(line)
        elif stripped and _indent(line.text) < base:
            break
        elif joined is None:
            if after and stripped:  # the comments seen so far were inside the message
                inside, after = inside + after, []
            text = line.text[base:]
            if line.after_break and _lost_blank_line(message, text):
                report.info(
                    line.number,
                    f"{label}: restored the blank line before the body, lost at a page break",
                )
                message.append("")
            message.append(text)
        index += 1
    if joined is not None:  # never closed: the lines stay as they are written
        report.warn(
            joined[0].number,
            f"{label}: an {ALL_ONE_LINE[0]} block is not closed: its lines are kept as written",
        )
        for part in joined:
            if part.text.strip() and _indent(part.text) < base:
                break
            message.append(part.text[base:])
    while message and not message[-1].strip():
        message.pop()
    return message, inside, after + _comments(lines, index, stop)


def _lost_blank_line(message: list[str], text: str) -> bool:
    """Whether a page break fell between the last header and the body's first line (of the
    message, or of a part of a multipart body)."""
    blanks = [i for i, line in enumerate(message) if not line.strip()]
    block = message[blanks[-1] + 1 :] if blanks else message[1:]
    if block and block[0].startswith("--"):  # a multipart boundary opens the part
        block = block[1:]
    in_headers = bool(block) and all(
        HEADER_FIELD_RE.match(line) or line[:1].isspace() for line in block
    )
    return in_headers and not (HEADER_FIELD_RE.match(text) or text[:1].isspace())


# --- Names ------------------------------------------------------------------------------


def _words(name: str) -> list[str]:
    """Lowercase words without punctuation; "Bob's PC" is Bob's: ["bob", "pc"]."""
    return re.sub(r"[^\w\s]", " ", re.sub(r"'s\b", "", name.lower())).split()


def _likeness(listed: str, drawn: str) -> int:
    """3: the same name; 2: the same but for case and punctuation; 1: one is the other's
    first or last words, or the same without trailing digits; 0: different."""
    if listed == drawn:
        return 3
    a, b = _words(listed), _words(drawn)
    if not a or not b:
        return 0
    if a == b:
        return 2
    short, long = sorted((a, b), key=len)
    if long[: len(short)] == short or long[-len(short) :] == short:
        return 1
    bare_a, bare_b = "".join(a).rstrip("0123456789"), "".join(b).rstrip("0123456789")
    return 1 if bare_a and bare_a == bare_b else 0


def _lane_named(name: str, lanes: list[str]) -> tuple[int, int | None]:
    """(likeness, lane) of the lane most like `name`; no lane when two are equally like it."""
    scores = sorted(((_likeness(name, lane), i) for i, lane in enumerate(lanes)), reverse=True)
    score, lane = scores[0]
    tied = len(scores) > 1 and scores[1][0] == score
    return score, lane if score and not tied else None


def _listed_sender(words: list[str], lanes: list[str]) -> str:
    """The sender in "200 OK Announcement Server": the run of last words most like a lane."""
    runs = [" ".join(words[-count:]) for count in range(1, min(len(words), 4) + 1)]
    return max(runs, key=lambda run: _lane_named(run, lanes)[0], default="")


# --- Assembling a flow ------------------------------------------------------------------


def _read_section(section: Section, reading: RfcReading, requested: bool) -> None:
    """Each call-flow figure of the section becomes a flow, with the listing that follows it
    (up to the next figure)."""
    report = _Report(reading.problems, section.number)
    body = section.body
    figures: list[tuple[int, int, Diagram, _Report]] = []
    for start, stop in find_diagrams(body):
        # Figures of other kinds (state machines, topologies) also hold `|` and arrows: what
        # the diagram says is only worth reporting once it is known to be a call flow.
        drawing = _Report([], section.number)
        diagram = read_diagram(body, start, stop, drawing)
        if diagram is None or not _is_call_flow(diagram):
            report.info(
                body[start].number, "no arrow carries a SIP message: not read as a call flow"
            )
            if requested:
                reading.problems += drawing.problems
            continue
        figures.append((start, stop, diagram, drawing))
    if not figures:
        listed = [e for e in read_listing(body, _Report([], section.number)).entries.values()]
        for entry in listed:
            report.warn(entry.line, f"{entry.label}: listed in a section without ladder: not read")
        if not listed and requested:
            report.warn(section.line, "this section has no ladder diagram")
    for k, (_, stop, diagram, drawing) in enumerate(figures):
        reading.problems += drawing.problems
        end = figures[k + 1][0] if k + 1 < len(figures) else len(body)
        after = body[stop:end]
        details = next(
            (i for i, line in enumerate(after) if MESSAGE_DETAILS_RE.match(line.text)), None
        )
        listing = read_listing(after[details + 1 if details is not None else 0 :], report)
        figure = _figure(after, k + 1 if len(figures) > 1 else None)
        _read_figure(section, figure, diagram, listing, reading, report)


def _is_call_flow(diagram: Diagram) -> bool:
    """A ladder whose arrows are labelled, or name SIP requests and responses."""
    messages = [s for s in diagram.steps if s.kind == "message"]
    if any(s.label for s in messages):
        return True
    return sum(bool(SIP_WORD_RE.search(s.text)) for s in messages) >= 2


class _Figure(NamedTuple):
    number: int | None  # of several figures in one section, which one (1, 2, ...)
    caption: str  # "Figure 2: Example of Offer/Answer", or ""


def _figure(after: Sequence[SourceLine], number: int | None) -> _Figure:
    """The figure's caption, if one stands in the lines right under it."""
    for line in after[:4]:
        match = FIGURE_RE.match(line.text)
        if match:
            return _Figure(number, line.text.strip())
        if line.text.strip():
            break
    return _Figure(number, "")


def _read_figure(
    section: Section,
    figure: _Figure,
    diagram: Diagram,
    listing: Listing,
    reading: RfcReading,
    report: _Report,
) -> None:
    summary = _generated_labels(diagram, report)
    flow = _flow_document(section, figure, reading.document, diagram, listing, report)
    if summary:
        flow["summary"] = {"en": summary}
    try:
        reading.flows.append(validate_document(flow, name=f"§{section.number}"))
    except FlowDocumentError as error:
        report.warn(section.line, f"the flow read is not a valid flow document: {error}")
        return
    labels = {s["label"] for s in flow["steps"] if s["kind"] == "message"}
    slug = flow["slug"]
    reading.captions += [
        Caption(section.number, s.label, _caption(s.text), slug)
        for s in diagram.steps
        if s.label is not None and s.label in labels
    ]
    reading.comments += [
        Comment(section.number, label, text, slug) for label, text in listing.comments
    ]
    reading.headings += [
        Caption(section.number, label, entry.heading, slug)
        for label, entry in listing.entries.items()
        if label in labels and entry.heading
    ]


def _generated_labels(diagram: Diagram, report: _Report) -> str:
    """Label the arrows of a diagram that numbers them "(1)" or not at all; what the flow's
    summary says of that ("" when the diagram has F-labels)."""
    messages = [s for s in diagram.steps if s.kind == "message"]
    first = next((s for s in messages), None)
    if first is None or any(F_LABEL_RE.search(s.text) for s in messages):
        return ""
    numbered = next((s for s in messages if s.label), None)
    if numbered is not None:
        match = NUMBER_LABEL_RE.search(numbered.text)
        style = "(1), (2)" if match and match[1] else "*1, *2"
        report.info(first.line, f"the arrows are numbered {style}, ...: read as F1, F2, ...")
        return f"The diagram numbers its arrows {style}, ...; they are labelled F1, F2, ... here."
    taken = 0
    for index, step in enumerate(diagram.steps):
        if step.kind == "message":
            taken += 1
            diagram.steps[index] = replace(step, label=f"F{taken}")
    report.info(
        first.line,
        f"the arrows carry no labels: labelled F1 to F{taken} in the diagram's order "
        f"(generated labels)",
    )
    return (
        f"The diagram does not number its arrows; the labels F1 to F{taken} were generated "
        f"in the diagram's order."
    )


def _flow_document(
    section: Section,
    figure: _Figure,
    document: str | None,
    diagram: Diagram,
    listing: Listing,
    report: _Report,
) -> dict[str, Any]:
    keys = _participant_keys(diagram.lanes)
    participants = [
        {"key": key, "name": name, "role": _role(name)}
        for key, name in zip(keys, diagram.lanes, strict=True)
    ]
    steps, drawn_labels = [], set()
    previous: DrawnStep | None = None
    unlisted = [s for s in diagram.steps if s.kind == "message"] if not listing.entries else []
    if unlisted:
        report.warn(
            unlisted[0].line,
            f"no listing gives the messages of this diagram: its {len(unlisted)} arrows are "
            f"kept as events",
        )
    for drawn in diagram.steps:
        if drawn.label and drawn.label in drawn_labels:
            report.warn(drawn.line, f"{drawn.label}: drawn twice; the second one is an event")
            drawn = DrawnStep(
                "event", drawn.row, drawn.column, drawn.line, drawn.text, ends=drawn.ends
            )
        elif drawn.label:
            drawn_labels.add(drawn.label)
            _check_order(previous, drawn, report)
            previous = drawn
        steps.append(_step(drawn, keys, diagram.lanes, listing, report, quiet=bool(unlisted)))
    for label, entry in listing.entries.items():
        if label not in drawn_labels:
            report.warn(entry.line, f"{label}: listed, but no arrow in the diagram carries it")
    source = {"section": section.number}
    if document:
        source["document"] = document
    title = section.title
    if figure.number is not None:
        title += f" ({figure.caption or f'figure {figure.number}'})"
    return {
        "slug": _slug(document, section, figure.number),
        "title": {"en": title},
        "source": source,
        "participants": participants,
        "steps": steps,
    }


def _check_order(previous: DrawnStep | None, drawn: DrawnStep, report: _Report) -> None:
    if (
        previous
        and previous.label
        and drawn.label
        and int(drawn.label[1:]) < int(previous.label[1:])
    ):
        report.info(
            drawn.line,
            f"{drawn.label}: drawn after {previous.label}; the diagram's order is kept",
        )


def _step(
    drawn: DrawnStep,
    keys: list[str],
    lanes: list[str],
    listing: Listing,
    report: _Report,
    quiet: bool = False,
) -> dict[str, Any]:
    """The document's step; `quiet` when the missing listing was reported for the whole
    diagram."""
    ends = {"from": keys[drawn.ends[0]], "to": keys[drawn.ends[1]]} if drawn.ends else {}
    if drawn.kind == "media":
        return {"kind": "media", **ends, "media": drawn.media, "text": {"en": drawn.text}}
    if drawn.kind == "event":
        return {"kind": "event", **ends, "text": {"en": drawn.text}}
    entry = listing.entries.get(drawn.label) if drawn.label else None
    if entry is not None and entry.message is None:
        if entry.refers_to is None:
            report.info(
                entry.line,
                f"{drawn.label}: listed as '{entry.heading}', which is not a SIP message: "
                f"kept as an event",
            )
        step = {"kind": "event", **ends, "text": {"en": drawn.text}}
        return {"label": drawn.label, **step}
    if entry is None:
        why = "no F-label" if not drawn.label else "no entry in the listing"
        if not quiet:
            report.warn(
                drawn.line,
                f"{drawn.label or 'arrow'}: '{drawn.text}' has {why}: kept as an event",
            )
        step = {"kind": "event", **ends, "text": {"en": drawn.text}}
        return {"label": drawn.label, **step} if drawn.label else step
    if drawn.shared:
        listed = _listed_ends(entry, lanes)
        if listed is None:
            report.warn(
                entry.line,
                f"{drawn.label}: drawn on a shared arrow and its listing names no two "
                f"participants: the arrow's direction is kept",
            )
        else:
            ends = {"from": keys[listed[0]], "to": keys[listed[1]]}
            return {"label": drawn.label, "kind": "message", **ends, "message": entry.message}
    _check_direction(drawn, entry, lanes, report)
    return {"label": drawn.label, "kind": "message", **ends, "message": entry.message}


def _listed_ends(entry: Entry, lanes: list[str]) -> tuple[int, int] | None:
    """The lanes a listing heading ("200 OK Bob -> Alice") names, if it names two."""
    if "->" not in entry.heading:
        return None
    before, receiver = entry.heading.split("->", 1)
    sender = _lane_named(_listed_sender(before.split(), lanes), lanes)[1]
    to = _lane_named(receiver.strip(), lanes)[1]
    return (sender, to) if sender is not None and to is not None and sender != to else None


def _check_direction(drawn: DrawnStep, entry: Entry, lanes: list[str], report: _Report) -> None:
    """Compare the listing's "INVITE Alice -> Proxy 1" with the arrow; the arrow wins."""
    if "->" not in entry.heading:
        return
    before, receiver = entry.heading.split("->", 1)
    names = (_listed_sender(before.split(), lanes), receiver.strip())
    listed = [_lane_named(name, lanes)[1] for name in names]
    for name, lane in zip(names, listed, strict=True):
        if lane is None:
            report.warn(entry.line, f"{drawn.label}: '{name}' names no single participant")
            return
        if name != lanes[lane]:
            report.info(
                entry.line,
                f"Listing says '{name}', diagram '{lanes[lane]}': taken as the same participant",
            )
    if drawn.ends is not None and tuple(listed) != drawn.ends:
        sender, receiver = (lanes[i] for i in drawn.ends)
        report.warn(
            entry.line,
            f"{drawn.label}: listing says '{names[0]} -> {names[1]}', the diagram "
            f"draws {sender} -> {receiver}: the diagram's direction is kept",
        )


def _caption(text: str) -> str:
    return " ".join(NUMBER_LABEL_RE.sub(" ", F_LABEL_RE.sub(" ", text)).split())


def _participant_keys(names: list[str]) -> list[str]:
    keys: list[str] = []
    for name in names:
        base = _slugify(name, 32) or "lane"
        key, count = base, 1
        while key in keys:
            count += 1
            key = f"{base[: 32 - len(str(count)) - 1]}-{count}"
        keys.append(key)
    return keys


def _role(name: str) -> str:
    words = _words(name)
    for role, markers in ROLE_WORDS.items():
        if any(word.startswith(markers) for word in words):
            return role
    return "ua"


def _slug(document: str | None, section: Section, figure: int | None = None) -> str:
    if figure is not None and figure > 1:
        return _slugify(f"{_slug(document, section)} {figure}", 64)
    if document == "RFC 5359":
        slot = next((s for s in FLOW_SLOTS if s.section == section.number), None)
        if slot:
            return slot.slug
    prefix = re.sub(r"^rfc\s+", "rfc", (document or "").lower())
    return _slugify(f"{prefix} {section.number} {section.title}", 64)


def _slugify(text: str, limit: int) -> str:
    """Lowercase words joined by '-', cut at a word boundary to fit `limit`."""
    slug = "-".join(re.sub(r"[^a-z0-9\s.-]", "", text.lower()).replace(".", " ").split())
    slug = re.sub(r"-+", "-", slug).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
    return slug
