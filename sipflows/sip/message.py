"""A lenient SIP message parser for teaching (RFC 3261 §7 and §25; no Django).

`parse_message` never raises: whatever it is given, it returns a `SipMessage` whose
`problems` explain, in plain English and with 1-based line numbers of the input, what is
wrong or unusual. Messages may use LF, CRLF or lone CR line endings; bodies are measured
as if every line ended with CRLF, the way the app stores them.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from functools import cached_property
from xml.parsers.expat import ErrorString

# Larger inputs are cut (in characters for text, in bytes for bytes), so parsing stays fast.
MAX_INPUT = 1024 * 1024
# A sipfrag can carry a sipfrag: stop recursing before hostile nesting gets expensive.
MAX_SIPFRAG_DEPTH = 4
MAX_PROBLEMS = 100

LINE_BREAK = re.compile(r"\r\n|\r|\n")
TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")  # RFC 3261 §25.1
_DIGITS = re.compile(r"[0-9]+")
_CSEQ = re.compile(r"([0-9]{1,10})[ \t]+(\S+)")
_VIA = re.compile(r"([^/\s]+)\s*/\s*([^/\s]+)\s*/\s*(\S+)\s+(.+)")  # on stripped text
# Quoted strings and <...> are skipped whole, so separators inside them do not count.
_SEPARATOR = re.compile(r'"(?:[^"\\]|\\.)*"?|<[^>]*>?|[,;]', re.DOTALL)
_SDP_START = re.compile(r"[a-z]=")

COMPACT_FORMS = {
    "i": "Call-ID",
    "m": "Contact",
    "e": "Content-Encoding",
    "l": "Content-Length",
    "c": "Content-Type",
    "f": "From",
    "s": "Subject",
    "k": "Supported",
    "t": "To",
    "v": "Via",
    "o": "Event",
    "r": "Refer-To",
    "b": "Referred-By",
    "u": "Allow-Events",
    "x": "Session-Expires",
    "a": "Accept-Contact",
    "j": "Reject-Contact",
    "d": "Request-Disposition",
    "y": "Identity",
    "n": "Identity-Info",
}
_WELL_KNOWN = (
    "Accept Accept-Contact Accept-Encoding Accept-Language Alert-Info Allow Allow-Events "
    "Authentication-Info Authorization Call-ID Call-Info Contact Content-Disposition "
    "Content-Encoding Content-Language Content-Length Content-Type CSeq Date Error-Info Event "
    "Expires From History-Info Identity Identity-Info In-Reply-To Join Max-Forwards "
    "MIME-Version Min-Expires Min-SE Organization P-Asserted-Identity Path Priority Privacy "
    "Proxy-Authenticate Proxy-Authorization Proxy-Require RAck Reason Record-Route Refer-Sub "
    "Refer-To Referred-By Reject-Contact Replaces Reply-To Request-Disposition Require "
    "Retry-After Route RSeq Server Service-Route Session-Expires SIP-ETag SIP-If-Match "
    "Subject Subscription-State Supported Target-Dialog Timestamp To Unsupported User-Agent "
    "Via Warning WWW-Authenticate"
).split()
_CANONICAL = {name.lower(): name for name in _WELL_KNOWN}
# Headers whose grammar is a comma-separated list (RFC 3261 §7.3); Date and the
# authentication headers contain commas but are not lists.
COMMA_LIST_HEADERS = frozenset(
    "Accept Accept-Contact Accept-Encoding Accept-Language Alert-Info Allow Allow-Events "
    "Call-Info Contact Content-Encoding Content-Language Error-Info History-Info In-Reply-To "
    "P-Asserted-Identity Path Proxy-Require Reason Record-Route Reject-Contact Require Route "
    "Service-Route Supported Unsupported Via Warning".split()
)
_SINGLE_HEADERS = (
    "To",
    "From",
    "Call-ID",
    "CSeq",
    "Max-Forwards",
    "Content-Length",
    "Content-Type",
)
_MANDATORY = {  # RFC 3261 §8.1.1 for requests; responses copy all of them but Max-Forwards
    "request": ("To", "From", "CSeq", "Call-ID", "Max-Forwards", "Via"),
    "response": ("To", "From", "CSeq", "Call-ID", "Via"),
}
_BODY_KINDS = {
    "application/sdp": "sdp",
    "message/sipfrag": "sipfrag",
    "application/dialog-info+xml": "dialog-info",
    "text/html": "html",
}
_SDP_TYPES = frozenset("vosiuepcbtrzkam")  # RFC 4566 §5
_SDP_MANDATORY = "vost"
_DIALOG_INFO_ROOT = "{urn:ietf:params:xml:ns:dialog-info}dialog-info"


@dataclass(frozen=True)
class Problem:
    line: int
    message: str
    severity: str  # "error" or "warning"


@dataclass(frozen=True)
class Header:
    name: str  # canonical long form, e.g. "Call-ID" for "i" or "call-id"
    raw_name: str  # as written
    value: str  # unfolded
    line: int
    end_line: int  # last continuation line


@dataclass(frozen=True)
class NameAddr:
    display: str | None
    uri: str
    params: dict[str, str | None]


@dataclass(frozen=True)
class Via:
    protocol: str  # "SIP/2.0"
    transport: str  # "TLS"
    sent_by: str  # "host:5061"
    params: dict[str, str | None]

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")


@dataclass(frozen=True)
class SdpLine:
    type: str
    value: str
    line: int


@dataclass(frozen=True)
class Body:
    content_type: str | None  # media type only, lower case: "application/sdp"
    text: str  # with CRLF line endings, as on the wire
    kind: str  # sdp, sipfrag, dialog-info, xml, html, text or unknown
    line: int  # where the body starts
    sdp: list[SdpLine] = field(default_factory=list)
    sipfrag: SipMessage | None = None

    @property
    def size(self) -> int:
        """Length in bytes, as Content-Length counts it."""
        return len(self.text.encode("utf-8"))


@dataclass(frozen=True)
class SipMessage:
    kind: str = "unknown"  # request, response or unknown
    method: str | None = None
    request_uri: str | None = None
    version: str | None = None
    status_code: int | None = None
    reason: str | None = None
    start_line: str = ""
    headers: list[Header] = field(default_factory=list)
    body: Body | None = None
    problems: list[Problem] = field(default_factory=list)

    @cached_property
    def _headers_by_name(self) -> dict[str, list[Header]]:
        # Checks look headers up a dozen times; a scan each time is slow on 1 MB of headers.
        index: dict[str, list[Header]] = {}
        for header in self.headers:
            index.setdefault(header.name.lower(), []).append(header)
        return index

    def headers_named(self, name: str) -> list[Header]:
        """Every occurrence of a header; the name is case-insensitive, compact forms accepted."""
        return list(self._headers_by_name.get(canonical_name(name).lower(), []))

    def header(self, name: str) -> str | None:
        found = self.headers_named(name)
        return found[0].value if found else None

    def header_values(self, name: str) -> list[str]:
        """All values of all occurrences, list headers split on their top-level commas."""
        values = []
        for h in self.headers_named(name):
            if h.name in COMMA_LIST_HEADERS:
                values += [v.strip() for v in split_top_level(h.value, ",") if v.strip()]
            else:
                values.append(h.value)
        return values

    @property
    def summary(self) -> str:
        """A caption: "INVITE" for a request, "180 Ringing" for a response."""
        if self.kind == "request":
            return self.method or ""
        if self.kind == "response":
            return self.start_line.split(None, 1)[-1]
        return _shorten(self.start_line)

    @property
    def cseq(self) -> tuple[int, str] | None:
        match = _CSEQ.fullmatch(self.header("CSeq") or "")
        return (int(match[1]), match[2]) if match else None

    @property
    def call_id(self) -> str | None:
        return self.header("Call-ID")

    @property
    def from_tag(self) -> str | None:
        return _tag(self.header("From"))

    @property
    def to_tag(self) -> str | None:
        return _tag(self.header("To"))

    @property
    def vias(self) -> list[Via]:
        return [via for via in map(parse_via, self.header_values("Via")) if via]


def canonical_name(name: str) -> str:
    """The long, canonically cased form of a header name; unknown names stay as written."""
    name = name.strip()
    key = name.lower()
    return COMPACT_FORMS.get(key) or _CANONICAL.get(key, name)


def split_top_level(text: str, separator: str) -> list[str]:
    """Split on `separator` ("," or ";") except inside quoted strings and <...>."""
    parts, start = [], 0
    for match in _SEPARATOR.finditer(text):
        if match[0] == separator:
            parts.append(text[start : match.start()])
            start = match.end()
    parts.append(text[start:])
    return parts


def parse_params(text: str) -> dict[str, str | None]:
    """Parameters: ";name=value;flag" -> {"name": "value", "flag": None}; first one wins.

    Names are lower-cased (they are case-insensitive); values are kept as written.
    """
    params: dict[str, str | None] = {}
    for part in split_top_level(text, ";"):
        name, equals, value = part.partition("=")
        name = name.strip().lower()
        if name:
            params.setdefault(name, value.strip() if equals else None)
    return params


def parse_name_addr(value: str) -> NameAddr:
    """`"Name" <uri>;params`, `<uri>;params` or a bare `uri;params`.

    Without angle brackets every parameter after the URI belongs to the header, not to the
    URI (RFC 3261 §20.10).
    """
    angle = next((m for m in _SEPARATOR.finditer(value) if m[0].startswith("<")), None)
    if angle is None:
        uri, _, params = value.strip().partition(";")
        return NameAddr(None, uri.strip(), parse_params(params))
    display = _unquote(value[: angle.start()].strip()) or None
    uri = angle[0][1:].removesuffix(">").strip()
    return NameAddr(display, uri, parse_params(value[angle.end() :]))


def parse_via(value: str) -> Via | None:
    """One via-parm, "SIP/2.0/TLS host:5061;branch=z9hG4bK74bf9"; None if it is not one."""
    sent = split_top_level(value, ";")[0]
    match = _VIA.fullmatch(sent.strip())
    if not match:
        return None
    return Via(f"{match[1]}/{match[2]}", match[3], match[4], parse_params(value[len(sent) :]))


def parse_message(data: str | bytes) -> SipMessage:
    """Parse a SIP request, response or fragment; never raises."""
    problems: list[Problem] = []
    text = _decode(data, problems)
    return _parse_lines(LINE_BREAK.split(text), 1, 0, problems)


# --- input --------------------------------------------------------------------------------


def _decode(data: object, problems: list[Problem]) -> str:
    """Text capped at MAX_INPUT, without BOM; undecodable parts replaced by U+FFFD."""
    if isinstance(data, bytes | bytearray | memoryview):
        chunk = bytes(data[:MAX_INPUT])
        cut = len(data) > MAX_INPUT
        try:
            text = _utf8(chunk, cut, "strict")
        except UnicodeDecodeError as exc:
            text = _utf8(chunk, cut, "replace")
            problems.append(_undecodable(_line_of(text, len(chunk[: exc.start].decode()))))
    elif isinstance(data, str):
        cut = len(data) > MAX_INPUT
        text = data[:MAX_INPUT]
        if not text.isascii():
            text = _drop_surrogates(text, problems)
    else:
        problems.append(_error(1, f"Expected text or bytes, got {type(data).__name__}."))
        return ""
    if cut:
        problems.append(
            _warning(1, "The message is larger than 1 MB; only the first 1 MB is checked.")
        )
    return text.removeprefix("\ufeff")


def _utf8(chunk: bytes, cut: bool, errors: str) -> str:
    # An incremental decoder leaves out a character split by the cut instead of garbling it.
    return codecs.getincrementaldecoder("utf-8")(errors).decode(chunk, final=not cut)


def _drop_surrogates(text: str, problems: list[Problem]) -> str:
    """Lone surrogates (from a bad decode upstream) cannot be encoded: replace them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        problems.append(_undecodable(_line_of(text, exc.start)))
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _undecodable(line: int) -> Problem:
    return _error(line, "The message is not valid UTF-8; bad bytes are shown as \ufffd.")


def _line_of(text: str, offset: int) -> int:
    return len(LINE_BREAK.findall(text, 0, offset)) + 1


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _error(line: int, message: str) -> Problem:
    return Problem(line, message, "error")


def _warning(line: int, message: str) -> Problem:
    return Problem(line, message, "warning")


# --- message ------------------------------------------------------------------------------


def _parse_lines(lines: list[str], first: int, depth: int, problems: list[Problem]) -> SipMessage:
    """Parse lines[0] (line number `first`) onwards; depth > 0 means a sipfrag body."""
    index = _skip_preamble(lines, first, problems)
    if index == len(lines):
        problems.append(_error(first, "The message is empty."))
        return SipMessage(problems=_finish(problems))
    start_no = first + index
    message = _parse_start_line(lines[index], start_no, problems)
    if message.start_line:
        index += 1
    elif not depth:  # a sipfrag may start with its headers
        problems.append(_error(start_no, "The message has no start line (request or status line)."))
    headers, body_index = _parse_headers(lines, index, first, problems)
    message = replace(message, headers=headers)
    if body_index is not None:
        body = _parse_body(lines[body_index:], first + body_index, message, depth, problems)
        message = replace(message, body=body)
    if message.kind != "unknown" and not depth:
        _check_message(message, start_no, problems)
    return replace(message, problems=_finish(problems))


def _skip_preamble(lines: list[str], first: int, problems: list[Problem]) -> int:
    """Index of the start line: empty lines (RFC 3261 §7.5) and comments before it are skipped."""
    index = 0
    while index < len(lines):
        stripped = lines[index].strip(" \t")
        if stripped.startswith("/*"):
            index = _skip_comment(lines, index, first, problems)
        elif stripped:
            break
        else:
            index += 1
    return index


def _skip_comment(lines: list[str], index: int, first: int, problems: list[Problem]) -> int:
    """The index after a /* comment */ (as RFC listings write them) that starts at lines[index]."""
    problems.append(
        _warning(
            first + index,
            "Comments like /* ... */ are not part of SIP (RFC listings use them); ignored.",
        )
    )
    opening = lines[index].find("/*") + 2
    if "*/" in lines[index][opening:]:
        return index + 1
    end = next((i for i in range(index + 1, len(lines)) if "*/" in lines[i]), len(lines) - 1)
    return end + 1


def _parse_start_line(line: str, number: int, problems: list[Problem]) -> SipMessage:
    parts = line.split() or [""]
    if parts[0].upper().startswith("SIP/"):
        return _parse_status_line(line.strip(), number, problems)
    if len(parts) >= 2 and parts[-1].upper().startswith("SIP/"):
        return _parse_request_line(line, parts, number, problems)
    if _header_name(line) is not None:
        return SipMessage()
    problems.append(
        _error(
            number,
            "Unknown start line: expected a request line like 'INVITE sip:bob@example.com "
            "SIP/2.0' or a status line like 'SIP/2.0 200 OK'.",
        )
    )
    return SipMessage(start_line=line.strip())


def _parse_status_line(line: str, number: int, problems: list[Problem]) -> SipMessage:
    version, code, reason = (line.split(None, 2) + ["", ""])[:3]
    _check_version(version, number, problems)
    status_code = int(code) if re.fullmatch(r"[0-9]{3}", code) else None
    if status_code is None:
        problems.append(
            _error(number, f"The status code must be three digits, not '{_shorten(code)}'.")
        )
    elif not 100 <= status_code <= 699:
        problems.append(_error(number, f"Status code {code} is not in SIP's range, 100 to 699."))
    return SipMessage(
        kind="response",
        version=version,
        status_code=status_code,
        reason=reason,
        start_line=line,
    )


def _parse_request_line(
    line: str, parts: list[str], number: int, problems: list[Problem]
) -> SipMessage:
    method, uri, version = parts[0], " ".join(parts[1:-1]), parts[-1]
    if line != " ".join(parts):
        problems.append(
            Problem(
                number,
                "The request line must be the method, the Request-URI and the SIP version, "
                "separated by single spaces.",
                "error" if len(parts) != 3 else "warning",
            )
        )
    if not TOKEN.fullmatch(method):
        problems.append(_error(number, f"'{_shorten(method)}' is not a valid method name."))
    if uri.startswith("<"):
        problems.append(_error(number, "The Request-URI must not be enclosed in < >."))
    elif ":" not in uri:
        problems.append(_error(number, "The Request-URI has no scheme such as sip: or sips:."))
    _check_version(version, number, problems)
    return SipMessage(
        kind="request", method=method, request_uri=uri, version=version, start_line=line.strip()
    )


def _check_version(version: str, number: int, problems: list[Problem]) -> None:
    if version.upper() != "SIP/2.0":
        problems.append(
            _error(number, f"Unknown SIP version '{_shorten(version)}'; it must be SIP/2.0.")
        )
    elif version != "SIP/2.0":
        problems.append(_warning(number, "Write the SIP version in upper case: SIP/2.0."))


# --- headers ------------------------------------------------------------------------------


@dataclass
class _Draft:
    """A header being read: its first line and its continuation lines."""

    raw_name: str
    parts: list[str]
    line: int
    end_line: int

    def header(self) -> Header:
        # RFC 5359 folds before ";param": join those without the space folding would leave.
        pieces = [p if p[:1] in (";", ",") else " " + p for p in self.parts[1:] if p]
        value = (self.parts[0] + "".join(pieces)).strip()
        return Header(canonical_name(self.raw_name), self.raw_name, value, self.line, self.end_line)


def _header_name(line: str) -> str | None:
    """The name of a "name: value" line, or None if the line is not a header."""
    name, colon, _ = line.partition(":")
    name = name.rstrip(" \t")
    return name if colon and TOKEN.fullmatch(name) else None


def _parse_headers(
    lines: list[str], index: int, first: int, problems: list[Problem]
) -> tuple[list[Header], int | None]:
    """The headers from lines[index] to the empty line, and the index where the body starts."""
    drafts: list[_Draft] = []
    current: _Draft | None = None
    while index < len(lines):
        line, number = lines[index], first + index
        if not line.strip(" \t"):
            if line:
                problems.append(
                    _warning(
                        number,
                        "This line only has spaces: the line ending the headers "
                        "should be completely empty.",
                    )
                )
            return [d.header() for d in drafts], index + 1
        if line[0] in " \t":
            _continue(current, line, number, problems)
        elif line.startswith("/*"):
            index = _skip_comment(lines, index, first, problems)
            current = None
            continue
        elif (name := _header_name(line)) is not None:
            current = _Draft(name, [line.partition(":")[2].strip(" \t")], number, number)
            drafts.append(current)
        elif line.startswith("<") or _SDP_START.match(line):
            problems.append(
                _error(number, "The empty line that ends the headers is missing before this body.")
            )
            return [d.header() for d in drafts], index
        else:
            _bad_header_line(line, number, problems)
            current = None
        index += 1
    return [d.header() for d in drafts], None


def _continue(current: _Draft | None, line: str, number: int, problems: list[Problem]) -> None:
    if current is None:
        problems.append(
            _error(
                number,
                "This line starts with a space, so it continues a header, but "
                "there is no header before it.",
            )
        )
        return
    current.parts.append(line.strip(" \t"))
    current.end_line = number


def _bad_header_line(line: str, number: int, problems: list[Problem]) -> None:
    name, colon, _ = line.partition(":")
    if not colon:
        message = "Header line without a colon: headers look like 'Name: value'."
    else:
        message = (
            f"'{_shorten(name.strip())}' is not a valid header name: names are letters, "
            "digits and -.!%*_+`'~ without spaces."
        )
    problems.append(_error(number, message))


# --- checks -------------------------------------------------------------------------------


def _check_message(message: SipMessage, start_no: int, problems: list[Problem]) -> None:
    """Header rules for a complete request or response (not for sipfrag bodies)."""
    for name in _MANDATORY[message.kind]:
        if not message.headers_named(name):
            problems.append(
                _error(
                    start_no,
                    f"The {message.kind} has no {name} header, which every "
                    f"{message.kind} must have.",
                )
            )
    for name in _SINGLE_HEADERS:
        for extra in message.headers_named(name)[1:]:
            problems.append(_error(extra.line, f"The {name} header appears more than once."))
    _check_cseq(message, problems)
    _check_max_forwards(message, problems)
    _check_vias(message, problems)
    _check_content_length(message, start_no, problems)


def _check_cseq(message: SipMessage, problems: list[Problem]) -> None:
    header = next(iter(message.headers_named("CSeq")), None)
    if header is None:
        return
    cseq = message.cseq
    if cseq is None:
        problems.append(_error(header.line, "CSeq must be a number and a method, like '1 INVITE'."))
    elif cseq[0] >= 2**31:
        problems.append(_error(header.line, "The CSeq number must be below 2**31."))
    elif message.kind == "request" and cseq[1] != message.method:
        problems.append(
            _error(
                header.line,
                f"CSeq method is {_shorten(cseq[1])} but the request method "
                f"is {_shorten(message.method or '')}.",
            )
        )


def _check_max_forwards(message: SipMessage, problems: list[Problem]) -> None:
    for header in message.headers_named("Max-Forwards")[:1]:
        if not _DIGITS.fullmatch(header.value):
            problems.append(_error(header.line, "Max-Forwards is not a number."))


def _check_vias(message: SipMessage, problems: list[Problem]) -> None:
    for header in message.headers_named("Via"):
        for value in filter(str.strip, split_top_level(header.value, ",")):
            via = parse_via(value)
            if via is None:
                problems.append(
                    _error(
                        header.line,
                        "Malformed Via: it should look like "
                        "'SIP/2.0/UDP host:port;branch=z9hG4bK...'.",
                    )
                )
            elif not (via.branch or "").startswith("z9hG4bK"):
                problems.append(
                    _warning(
                        header.line,
                        "The Via branch should start with the magic cookie "
                        "z9hG4bK (RFC 3261 §8.1.1.7).",
                    )
                )


def _check_content_length(message: SipMessage, start_no: int, problems: list[Problem]) -> None:
    size = message.body.size if message.body else 0
    header = next(iter(message.headers_named("Content-Length")), None)
    if header is None:
        problems.append(
            _warning(
                start_no, "There is no Content-Length header; it is mandatory over TCP and TLS."
            )
        )
    elif not _DIGITS.fullmatch(header.value):
        # RFC 5359 writes "Content-Length: ..." on purpose: a warning, not an error.
        problems.append(
            Problem(
                header.line,
                f"Content-Length is not a number ('{_shorten(header.value)}'); "
                f"the body is {size} bytes.",
                "warning" if header.value == "..." else "error",
            )
        )
    elif (header.value.lstrip("0") or "0") != str(size):
        problems.append(
            _error(
                header.line,
                f"Content-Length says {_shorten(header.value)} but the body is {size} bytes.",
            )
        )


def _finish(problems: list[Problem]) -> list[Problem]:
    """Problems in line order, at most MAX_PROBLEMS of them."""
    ordered = sorted(problems, key=lambda p: p.line)
    if len(ordered) <= MAX_PROBLEMS:
        return ordered
    rest = ordered[MAX_PROBLEMS:]
    note = _warning(rest[0].line, f"{len(rest)} more problems are not listed.")
    return ordered[:MAX_PROBLEMS] + [note]


def _tag(value: str | None) -> str | None:
    return parse_name_addr(value).params.get("tag") if value is not None else None


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


# --- bodies -------------------------------------------------------------------------------


def _parse_body(
    lines: list[str], first: int, message: SipMessage, depth: int, problems: list[Problem]
) -> Body | None:
    # Blank lines after the body are an artefact of copying messages around, not content.
    end = len(lines)
    while end > 1 and lines[end - 1] == lines[end - 2] == "":
        end -= 1
    lines = lines[:end]
    if lines in ([], [""]):
        return None
    content_type = message.header("Content-Type")
    media_type = content_type.split(";")[0].strip().lower() if content_type else None
    body = Body(media_type, "\r\n".join(lines), _body_kind(media_type), first)
    if media_type is None:
        problems.append(_error(first, "The message has a body but no Content-Type header."))
    elif media_type.startswith("multipart/"):
        problems.append(_warning(first, "Multipart bodies are not analysed."))
    if body.kind == "sdp":
        return replace(body, sdp=_parse_sdp(lines, first, problems))
    if body.kind == "sipfrag":
        return replace(body, sipfrag=_parse_sipfrag(lines, first, depth, problems))
    if body.kind in ("dialog-info", "xml"):
        _check_xml(body, problems)
    return body


def _body_kind(media_type: str | None) -> str:
    if media_type is None:
        return "unknown"
    if media_type in _BODY_KINDS:
        return _BODY_KINDS[media_type]
    if media_type.endswith("+xml") or media_type in ("application/xml", "text/xml"):
        return "xml"
    return "text" if media_type.startswith("text/") else "unknown"


def _parse_sdp(lines: list[str], first: int, problems: list[Problem]) -> list[SdpLine]:
    sdp = []
    for offset, line in enumerate(lines):
        number = first + offset
        kind, equals, value = line.partition("=")
        if not line:
            if offset < len(lines) - 1:  # the last "" is just the final line break
                problems.append(_warning(number, "SDP has no empty lines."))
        elif not equals:
            problems.append(
                _error(number, "SDP line without '=': every line looks like 'x=value'.")
            )
        elif len(kind) != 1:
            problems.append(
                _error(
                    number,
                    "An SDP line starts with one letter and '=', without spaces, like 'v=0'.",
                )
            )
        else:
            if kind not in _SDP_TYPES:
                problems.append(_warning(number, f"Unknown SDP line type '{kind}='."))
            sdp.append(SdpLine(kind, value, number))
    _check_sdp_lines(sdp, first, problems)
    return sdp


def _check_sdp_lines(sdp: list[SdpLine], first: int, problems: list[Problem]) -> None:
    types = {line.type for line in sdp}
    missing = [f"{t}=" for t in _SDP_MANDATORY if t not in types]
    if missing:
        problems.append(
            _error(
                first, f"The SDP body lacks {', '.join(missing)} (v=, o=, s= and t= are mandatory)."
            )
        )
    if "v" in types and sdp[0].type != "v":
        problems.append(_error(sdp[0].line, "The SDP body must start with v=0."))


def _parse_sipfrag(
    lines: list[str], first: int, depth: int, problems: list[Problem]
) -> SipMessage | None:
    if depth + 1 > MAX_SIPFRAG_DEPTH:
        problems.append(
            _warning(first, "This message/sipfrag is nested too deeply to be analysed.")
        )
        return None
    fragment = _parse_lines(lines, first, depth + 1, [])
    problems += [replace(p, message=f"In the sipfrag body: {p.message}") for p in fragment.problems]
    return fragment


def _check_xml(body: Body, problems: list[Problem]) -> None:
    """Well-formedness; documents with a DTD are refused, so no entity is ever expanded."""
    if "<!DOCTYPE" in body.text or "<!ENTITY" in body.text:
        problems.append(
            _warning(
                body.line, "The XML body has a DOCTYPE or ENTITY declaration; it is not checked."
            )
        )
        return
    try:
        root = ET.fromstring(body.text)
    except ET.ParseError as exc:
        problems.append(
            _error(
                body.line + exc.position[0] - 1,
                f"The XML body is not well-formed: {ErrorString(exc.code)}.",
            )
        )
        return
    if body.kind == "dialog-info" and root.tag != _DIALOG_INFO_ROOT:
        problems.append(
            _warning(
                body.line,
                "The root element should be <dialog-info> in the "
                "urn:ietf:params:xml:ns:dialog-info namespace.",
            )
        )
