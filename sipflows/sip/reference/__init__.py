"""The reference: every SIP and SDP token the library uses, explained (pure code, no Django).

A *token* is something a learner may ask about in a message: a method, a status code, a
header, a header or URI parameter, an option tag, an event package, a feature tag, a body type,
an SDP line type or attribute. `message_tokens` finds them in a message with the parser of
`sip.message`; the YAML files beside this module explain each one in English and Chinese and
name the RFC section that defines it; `missing_entries` lists what a flow document uses that
the reference does not explain yet.

Names are kept in one form per kind, so that the same token always finds the same entry:
methods as written (they are case-sensitive), headers in their canonical long form, status
codes as digits, everything else in lower case, SDP as "m=" or "a=sendonly".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any
from urllib.parse import quote

import yaml

from ..message import (
    COMMA_LIST_HEADERS,
    SipMessage,
    canonical_name,
    parse_message,
    split_top_level,
)

# In the order the index shows them; each is also the file name (<kind>.yaml) and the
# second part of the page's URL, /sip/<kind>/<name>/.
KINDS = (
    "method",
    "status",
    "header",
    "param",
    "option-tag",
    "event",
    "feature-tag",
    "body",
    "sdp",
)
URI_CONTEXT = "URI"  # the context of a URI parameter (a header parameter's is its header)

OPTION_TAG_HEADERS = frozenset({"Supported", "Require", "Proxy-Require", "Unsupported"})
EVENT_HEADERS = frozenset({"Event", "Allow-Events"})
BODY_TYPE_HEADERS = frozenset({"Content-Type", "Accept"})
METHOD_HEADERS = frozenset({"CSeq", "RAck", "Allow"})
# Parameters of these headers are feature tags (RFC 3840 §9, RFC 3841), not plain parameters.
FEATURE_TAG_HEADERS = frozenset({"Contact", "Accept-Contact", "Reject-Contact"})
AUTH_HEADERS = frozenset(
    {"Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate"}
)
# Feature tags of the base tree (RFC 3840 §9); any other is written with a leading "+".
BASE_FEATURE_TAGS = frozenset(
    "audio automata class duplex data control mobility description events priority methods "
    "schemes application video language type isfocus actor text extensions".split()
)

_AUTH_PARAM = re.compile(r"(?:^|,)\s*([A-Za-z0-9-]+)\s*=")
_ANGLE_URI = re.compile(r"<([^>]*)>?")
_URI_PIECE = re.compile(r"([;?&][^;?&=]*)")


@dataclass(frozen=True)
class TokenUse:
    """One occurrence of a token in a message."""

    kind: str
    name: str
    line: int  # 1-based line of the message where it is (a folded header's first line)
    context: str = ""  # for parameters and feature tags: the header, or URI_CONTEXT


@dataclass(frozen=True)
class Meaning:
    """What a token means (in one context, for a parameter that means different things)."""

    text: dict[str, str]  # {"en": ..., "zh": ...}
    rfc: str  # "RFC 3261 §20.30"
    contexts: tuple[str, ...] = ()  # empty: wherever it occurs

    @property
    def rfc_url(self) -> str:
        return rfc_url(self.rfc)


@dataclass(frozen=True)
class Entry:
    kind: str
    name: str
    title: dict[str, str]  # a few words: {"en": "Replace a dialog", "zh": ...}
    meanings: tuple[Meaning, ...]
    compact: str | None = None  # a header's compact form

    @property
    def url(self) -> str:
        return reference_url(self.kind, self.name)

    def meaning(self, context: str = "") -> Meaning | None:
        """The meaning in `context`; a meaning without contexts applies everywhere else."""
        general = None
        for meaning in self.meanings:
            if context and context in meaning.contexts:
                return meaning
            if not meaning.contexts:
                general = meaning
        return general


def reference_url(kind: str, name: str) -> str:
    """The page of a token: /sip/<kind>/<name>/ (e.g. /sip/sdp/a=sendonly/)."""
    return f"/sip/{kind}/{quote(name, safe='=+/.:-_~!*')}/"


def tip_id(use: TokenUse) -> str:
    """The id of the explanation a token control is described by, unique per page."""
    entry = entry_for(use.kind, use.name)
    meaning = entry.meaning(use.context) if entry else None
    context = use.context if meaning is not None and meaning.contexts else ""
    raw = "-".join(part for part in ("tip", use.kind, use.name, context) if part)
    return re.sub(r"[^A-Za-z0-9-]", lambda m: f"_{ord(m[0]):x}", raw)


# --- finding tokens -------------------------------------------------------------------------


def message_tokens(message: SipMessage) -> Iterator[TokenUse]:
    """Every token of a parsed message, in order, its sipfrag body included."""
    start = _start_line_number(message)
    if message.kind == "request" and message.method:
        yield TokenUse("method", message.method, start)
        yield from uri_tokens(message.request_uri or "", start)
    elif message.kind == "response" and message.status_code is not None:
        yield TokenUse("status", str(message.status_code), start)
    for header in message.headers:
        yield TokenUse("header", header.name, header.line)
        yield from _header_value_tokens(header.name, header.value, header.line)
    body = message.body
    if body is None:
        return
    if body.sipfrag is not None:
        yield from message_tokens(body.sipfrag)
    for line in body.sdp:
        yield TokenUse("sdp", f"{line.type}=", line.line)
        if line.type == "a":
            yield TokenUse("sdp", "a=" + line.value.partition(":")[0].strip().lower(), line.line)


def text_tokens(text: str) -> list[TokenUse]:
    return list(message_tokens(parse_message(text)))


def uri_tokens(uri: str, line: int) -> Iterator[TokenUse]:
    """The parameters of a URI, and the names of headers embedded after its "?"."""
    for _, use in uri_pieces(uri, line):
        if use is not None:
            yield use


def uri_pieces(
    text: str, line: int, after_query: bool = False
) -> Iterator[tuple[str, TokenUse | None]]:
    """A URI (or a piece of one, `after_query` if its "?" came before) cut into pieces: each
    ";name" before the "?" is a parameter, each "?Name" or "&Name" after it an embedded
    header; everything else (values, the address) is a piece without a token."""
    for piece in _URI_PIECE.split(text):
        marker, name = piece[:1], piece[1:]
        after_query = after_query or marker == "?"
        use = None
        if name and marker == ";" and not after_query:
            use = TokenUse("param", name.strip().lower(), line, URI_CONTEXT)
        elif name and marker in ("?", "&") and after_query:
            use = TokenUse("header", canonical_name(name.strip()), line)
        if use is not None:
            yield marker, None
            yield name, use
        elif piece:
            yield piece, None


def _header_value_tokens(header: str, value: str, line: int) -> Iterator[TokenUse]:
    if header in AUTH_HEADERS:
        for match in _AUTH_PARAM.finditer(value.partition(" ")[2]):
            yield TokenUse("param", match[1].lower(), line, header)
        return
    values = split_top_level(value, ",") if header in COMMA_LIST_HEADERS else [value]
    for item in values:
        first, *params = split_top_level(item, ";")
        word = first.strip()
        if header in METHOD_HEADERS:
            yield from (TokenUse("method", m, line) for m in re.findall(r"[A-Za-z]+", word))
        elif word and header in OPTION_TAG_HEADERS:
            yield TokenUse("option-tag", word.lower(), line)
        elif word and header in EVENT_HEADERS:
            yield TokenUse("event", word.lower(), line)
        elif word and header in BODY_TYPE_HEADERS:
            yield TokenUse("body", word.lower(), line)
        for uri in _ANGLE_URI.findall(first):
            yield from uri_tokens(uri.strip(), line)
        for param in params:
            name = param.partition("=")[0].strip().lower()
            if name:
                yield param_use(header, name, line)


def param_use(header: str, name: str, line: int) -> TokenUse:
    if header in FEATURE_TAG_HEADERS and is_feature_tag(name):
        return TokenUse("feature-tag", name, line, header)
    return TokenUse("param", name, line, header)


def is_feature_tag(name: str) -> bool:
    return name in BASE_FEATURE_TAGS or name.startswith("+")


def _start_line_number(message: SipMessage) -> int:
    """The line of the start line: the line before the first header, or the body's line."""
    if message.headers:
        return message.headers[0].line - 1
    return message.body.line - 2 if message.body else 1


# --- the reference --------------------------------------------------------------------------


@cache
def reference() -> dict[str, dict[str, Entry]]:
    """Every entry, by kind and name, loaded once from the YAML files beside this module."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    entries: dict[str, dict[str, Entry]] = {}
    for kind in KINDS:
        text = files(__package__).joinpath(f"{kind}.yaml").read_text(encoding="utf-8")
        data = yaml.load(text, Loader=loader) or {}
        entries[kind] = {str(name): _entry(kind, str(name), item) for name, item in data.items()}
    return entries


def _entry(kind: str, name: str, item: dict[str, Any]) -> Entry:
    meanings = item.get("meanings") or [item]
    return Entry(
        kind=kind,
        name=name,
        title=item["title"],
        compact=item.get("compact"),
        meanings=tuple(
            Meaning(
                text={"en": m["en"], "zh": m["zh"]},
                rfc=m["rfc"],
                contexts=tuple(m.get("in", ())),
            )
            for m in meanings
        ),
    )


def entry_for(kind: str, name: str) -> Entry | None:
    return reference().get(kind, {}).get(name)


def is_explained(use: TokenUse) -> bool:
    entry = entry_for(use.kind, use.name)
    return entry is not None and entry.meaning(use.context) is not None


def missing_entries(document: dict[str, Any]) -> list[TokenUse]:
    """The tokens the messages of a flow document use that the reference does not explain,
    each once (its first occurrence), in the order of the steps."""
    seen: set[tuple[str, str, str]] = set()
    missing = []
    for use in _document_tokens(document):
        key = (use.kind, use.name, use.context)
        if key not in seen:
            seen.add(key)
            if not is_explained(use):
                missing.append(use)
    return missing


def _document_tokens(document: dict[str, Any]) -> Iterator[TokenUse]:
    for step in document.get("steps", ()):
        yield from cached_tokens(step.get("message") or "")


@lru_cache(maxsize=2048)
def cached_tokens(text: str) -> tuple[TokenUse, ...]:
    """The tokens of a message text (pages look them up on every render)."""
    return tuple(text_tokens(text)) if text else ()


def distinct(uses: Iterable[TokenUse]) -> list[TokenUse]:
    """One use per token and meaning, in first-seen order."""
    seen: set[str] = set()
    result = []
    for use in uses:
        key = tip_id(use)
        if key not in seen:
            seen.add(key)
            result.append(use)
    return result


# --- RFC references -------------------------------------------------------------------------

# "RFC 3261 §17.1.3", "RFC 3261, section 8.2.6.2", "RFC 3261 Section 12", "RFC 4235"
RFC_REFERENCE = re.compile(
    r"RFC[ \u00a0]?(\d{3,4})(?:(?:,?[ \u00a0]*(?:§|[Ss]ection[ \u00a0]|[Ss]ec\.[ \u00a0]?)"
    r"[ \u00a0]*)(\d+(?:\.\d+)*))?"
)


def rfc_url(reference_text: str) -> str:
    """The RFC Editor's page for "RFC 3261 §17.1.3", at the section's anchor."""
    match = RFC_REFERENCE.search(reference_text)
    if not match:
        return ""
    url = f"https://www.rfc-editor.org/rfc/rfc{match[1]}"
    return f"{url}#section-{match[2]}" if match[2] else url


@dataclass(frozen=True)
class Explanation:
    """What a token control opens: the entry and the meaning that fit where the token is."""

    id: str  # the token control's aria-describedby
    entry: Entry
    meaning: Meaning
    context: str


def explain(use: TokenUse) -> Explanation | None:
    entry = entry_for(use.kind, use.name)
    meaning = entry.meaning(use.context) if entry else None
    if entry is None or meaning is None:
        return None
    return Explanation(tip_id(use), entry, meaning, use.context)


@lru_cache(maxsize=2048)
def message_explanations(text: str) -> tuple[Explanation, ...]:
    """One explanation per explained token of a message, in the order they first occur."""
    found = (explain(use) for use in distinct(cached_tokens(text)))
    return tuple(e for e in found if e is not None)


def header_lines(lines: list[str], line: int) -> list[str]:
    """Line `line` (1-based) of a message with the continuation lines that fold into it."""
    if not 1 <= line <= len(lines):
        return []
    end = line
    while end < len(lines) and lines[end][:1] in (" ", "\t") and lines[end].strip():
        end += 1
    return lines[line - 1 : end]
