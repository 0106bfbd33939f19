"""The flow document: one format for fixtures, import, export and history.

Pure code (no Django): parse YAML or JSON text into validated documents, and dump documents
back to text so that export -> import -> export is exact. A bad document raises
FlowDocumentError naming the document, the step and the key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import yaml

ROLES = ("ua", "proxy", "server")
STEP_KINDS = ("message", "media", "event")
MEDIA_KINDS = ("two-way", "one-way", "none")
NOTE_KINDS = ("rfc-defect", "official-erratum", "article-correction", "discussion")
LANGS = ("en", "zh")
# Notes that quote a source must say what they quote and where.
QUOTING_NOTE_KINDS = ("rfc-defect", "official-erratum", "article-correction")

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$")
# Media and event steps without a label get one of these, numbered per kind.
LABEL_PREFIX = {"media": "M", "event": "E"}
# Notes without a key get N1, N2, ...: keys line notes up across revisions.
NOTE_KEY_PREFIX = "N"

TOP_KEYS = ("slug", "title", "source", "summary", "participants", "steps", "notes")
SOURCE_KEYS = ("document", "section")
PARTICIPANT_KEYS = ("key", "name", "role")
STEP_KEYS = ("label", "kind", "from", "to", "media", "text", "focus", "message", "annotation")
NOTE_KEYS = (
    "key",
    "step",
    "kind",
    "where",
    "as_written",
    "correction",
    "discussion",
    "acknowledges",
)

MAX_DOCUMENT_BYTES = 2_000_000
# Real documents nest five levels deep (document, steps, step, annotation, text).
MAX_DEPTH = 16
# What the library's columns hold (sipflows.models); longer text is refused here, so that
# SQLite, which does not enforce a column's length, accepts exactly what PostgreSQL does.
MAX_NAME = 100
MAX_SOURCE_DOCUMENT = 100
MAX_SOURCE_SECTION = 20
MAX_WHERE = 200
# Neither can PostgreSQL store a NUL character, and no database a lone surrogate.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# libyaml's parser where it is installed; the pure Python one otherwise.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FlowDocumentError(ValueError):
    """A document that cannot be loaded; str() says where and why."""

    def __init__(
        self, document: str, problem: str, step: str | None = None, key: str | None = None
    ):
        self.document, self.step, self.key, self.problem = document, step, key, problem
        where = [document]
        if step is not None:
            where.append(f"step {step}")
        if key is not None:
            where.append(f"key '{key}'")
        super().__init__(": ".join(where) + ": " + problem)


def normalize_message(text: str) -> str:
    """CRLF line endings, no trailing blank lines, and the blank line that ends the headers."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    has_body_separator = any(not line.strip() for line in lines)
    normalized = "\r\n".join(lines) + "\r\n"
    return normalized if has_body_separator else normalized + "\r\n"


def message_for_people(stored: str) -> str:
    """The stored (CRLF) message as a document carries it: LF endings, one final newline."""
    return "\n".join(stored.splitlines()).rstrip("\n") + "\n"


def parse_documents(text: str | bytes, *, name: str) -> list[dict[str, Any]]:
    """Read one document or a list of documents (YAML, or JSON, which YAML tools also accept)."""
    if isinstance(text, bytes):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise FlowDocumentError(name, f"is larger than {MAX_DOCUMENT_BYTES} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FlowDocumentError(
                name, f"is not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
    if len(text) > MAX_DOCUMENT_BYTES:
        raise FlowDocumentError(name, f"is larger than {MAX_DOCUMENT_BYTES} characters")
    if text.lstrip().startswith(("{", "[")):
        data = _load_json(text, name)
    else:
        data = _load_yaml(text, name)
    documents = data if isinstance(data, list) else [data]
    if not documents:
        raise FlowDocumentError(name, "holds no flow document")
    return [
        validate_document(doc, name=name if len(documents) == 1 else f"{name}[{index}]")
        for index, doc in enumerate(documents)
    ]


def _load_json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FlowDocumentError(name, f"is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:
        raise FlowDocumentError(name, "is nested too deeply to be a flow document") from None
    except ValueError as exc:  # e.g. a number of thousands of digits
        raise FlowDocumentError(name, f"is not valid JSON: {exc}") from None


def _load_yaml(text: str, name: str) -> Any:
    """YAML without aliases, which a few hundred bytes can expand into gigabytes."""
    try:
        depth = 0
        for event in yaml.parse(text, Loader=_YamlLoader):
            line = event.start_mark.line + 1 if event.start_mark else 0
            if isinstance(event, yaml.AliasEvent):
                raise FlowDocumentError(
                    name,
                    f"uses the YAML alias *{_shown(event.anchor)} (line {line}): "
                    "flow documents spell every value out, without anchors or aliases",
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise FlowDocumentError(
                        name, f"is nested more than {MAX_DEPTH} levels deep (line {line})"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.load(text, Loader=_YamlLoader)
    except FlowDocumentError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark else ""
        raise FlowDocumentError(
            name, f"is not valid YAML: {getattr(exc, 'problem', exc)}{at}"
        ) from None
    except ValueError as exc:  # e.g. a number of thousands of digits
        raise FlowDocumentError(name, f"is not valid YAML: {exc}") from None


def validate_document(doc: Any, *, name: str) -> dict[str, Any]:
    """Check a document against the contract and return it normalised."""
    _check_storable(doc, name)
    _require_mapping(doc, name, None, None, TOP_KEYS)
    slug = doc.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        raise FlowDocumentError(name, "must be lowercase letters, digits and '-'", key="slug")
    name = f"{name} ({slug})" if slug not in name else name
    out: dict[str, Any] = {"slug": slug, "title": _text(doc.get("title"), name, None, "title")}
    if not out["title"].get("en"):
        raise FlowDocumentError(name, "needs an English title (en)", key="title")
    if "source" in doc:
        _require_mapping(doc["source"], name, None, "source", SOURCE_KEYS)
        out["source"] = _source(doc["source"], name)
    if doc.get("summary"):
        out["summary"] = _text(doc["summary"], name, None, "summary")
    out["participants"] = _participants(doc.get("participants"), name)
    keys = {p["key"] for p in out["participants"]}
    out["steps"] = _steps(doc.get("steps"), name, keys)
    labels = {s["label"] for s in out["steps"]}
    if "notes" in doc:
        out["notes"] = _notes(doc["notes"], name, labels)
    return out


def _source(source: dict, name: str) -> dict[str, str]:
    result = {}
    for key, limit in (("document", MAX_SOURCE_DOCUMENT), ("section", MAX_SOURCE_SECTION)):
        if key not in source:
            continue
        value = source[key]
        # An unquoted section such as 2.16 reads as a number; it means the same text.
        if _is_small_number(value):
            value = _shown(value)
        if not isinstance(value, str):
            raise FlowDocumentError(name, "must be text", key=f"source.{key}")
        _check_length(value, limit, name, None, f"source.{key}")
        result[key] = value
    return result


def _participants(items: Any, name: str) -> list[dict[str, str]]:
    if not isinstance(items, list) or not items:
        raise FlowDocumentError(name, "must be a non-empty list", key="participants")
    seen: set[str] = set()
    result = []
    for index, item in enumerate(items):
        where = f"participants[{index}]"
        _require_mapping(item, name, None, where, PARTICIPANT_KEYS)
        key, label, role = item.get("key"), item.get("name"), item.get("role", "ua")
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise FlowDocumentError(
                name, "must be lowercase letters, digits and '-'", key=f"{where}.key"
            )
        if key in seen:
            raise FlowDocumentError(name, f"'{key}' is used twice", key=f"{where}.key")
        if not isinstance(label, str) or not label.strip():
            raise FlowDocumentError(name, "must be a non-empty string", key=f"{where}.name")
        _check_length(label, MAX_NAME, name, None, f"{where}.name")
        if not isinstance(role, str) or role not in ROLES:
            raise FlowDocumentError(name, f"must be one of {', '.join(ROLES)}", key=f"{where}.role")
        seen.add(key)
        result.append({"key": key, "name": label, "role": role})
    return result


def _steps(items: Any, name: str, keys: set[str]) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not items:
        raise FlowDocumentError(name, "must be a non-empty list", key="steps")
    explicit = {i.get("label") for i in items if isinstance(i, dict) and _is_text(i.get("label"))}
    counters = dict.fromkeys(LABEL_PREFIX, 0)
    seen: set[str] = set()
    result = []
    for index, item in enumerate(items):
        step_name = _step_name(item, index)
        _require_mapping(item, name, step_name, None, STEP_KEYS)
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in STEP_KINDS:
            raise FlowDocumentError(
                name, f"must be one of {', '.join(STEP_KINDS)}", step_name, "kind"
            )
        label = item.get("label")
        if label is None and kind in LABEL_PREFIX:
            label = _next_free_label(LABEL_PREFIX[kind], counters, kind, explicit | seen)
        if not isinstance(label, str) or not LABEL_RE.match(label):
            raise FlowDocumentError(
                name, "must be 1-16 letters, digits, '.', '_' or '-' (e.g. F7)", step_name, "label"
            )
        if label in seen:
            raise FlowDocumentError(name, f"label '{label}' is used twice", step_name, "label")
        seen.add(label)
        result.append(_step(item, kind, label, name, keys))
    return result


def _next_free_label(prefix: str, counters: dict[str, int], kind: str, taken: set) -> str:
    while True:
        counters[kind] += 1
        label = f"{prefix}{counters[kind]}"
        if label not in taken:
            return label


def _step(item: dict, kind: str, label: str, name: str, keys: set[str]) -> dict[str, Any]:
    step: dict[str, Any] = {"label": label, "kind": kind}
    needs_ends = kind in ("message", "media")
    for end in ("from", "to"):
        if end in item or needs_ends:
            value = item.get(end)
            if not isinstance(value, str) or value not in keys:
                raise FlowDocumentError(
                    name, f"'{_shown(value)}' is not a participant of this flow", label, end
                )
            step[end] = value
    if kind == "media":
        if not isinstance(item.get("media"), str) or item["media"] not in MEDIA_KINDS:
            raise FlowDocumentError(
                name, f"must be one of {', '.join(MEDIA_KINDS)}", label, "media"
            )
        step["media"] = item["media"]
    elif "media" in item:
        raise FlowDocumentError(name, "only media steps have it", label, "media")
    if kind == "message":
        if "text" in item:
            raise FlowDocumentError(
                name, "message steps are captioned by their start line", label, "text"
            )
    else:
        step["text"] = _text(item.get("text"), name, label, "text")
        if not step["text"]:
            raise FlowDocumentError(name, "is required for media and event steps", label, "text")
    if "focus" in item:
        focus = item["focus"]
        if not isinstance(focus, list) or not all(isinstance(f, str) and f.strip() for f in focus):
            raise FlowDocumentError(
                name, "must be a list of header names or SDP lines", label, "focus"
            )
        if focus:
            step["focus"] = list(focus)
    if kind == "message":
        message = item.get("message")
        if not isinstance(message, str) or not message.strip():
            raise FlowDocumentError(
                name, "message steps need the full SIP message", label, "message"
            )
        step["message"] = normalize_message(message)
    elif "message" in item:
        raise FlowDocumentError(name, "only message steps carry a SIP message", label, "message")
    if item.get("annotation"):
        step["annotation"] = _text(item["annotation"], name, label, "annotation")
    return step


def _notes(items: Any, name: str, labels: set[str]) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise FlowDocumentError(name, "must be a list", key="notes")
    explicit = {i.get("key") for i in items if isinstance(i, dict) and _is_text(i.get("key"))}
    counter = {"note": 0}
    seen: set[str] = set()
    result = []
    for index, item in enumerate(items):
        where = f"notes[{index}]"
        _require_mapping(item, name, None, where, NOTE_KEYS)
        key = item.get("key")
        if key is None:
            key = _next_free_label(NOTE_KEY_PREFIX, counter, "note", explicit | seen)
        if not isinstance(key, str) or not LABEL_RE.match(key):
            raise FlowDocumentError(
                name, "must be 1-16 letters, digits, '.', '_' or '-' (e.g. N3)", key=f"{where}.key"
            )
        if key in seen:
            raise FlowDocumentError(name, f"note key '{key}' is used twice", key=f"{where}.key")
        seen.add(key)
        note: dict[str, Any] = {"key": key}
        step = item.get("step")
        if step is not None:
            # An unquoted label of digits reads as a number; it names the same step.
            if not (isinstance(step, str) or _is_small_number(step)) or _shown(step) not in labels:
                raise FlowDocumentError(
                    name, f"'{_shown(step)}' is not a step of this flow", key=f"{where}.step"
                )
            note["step"] = _shown(step)
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in NOTE_KINDS:
            raise FlowDocumentError(
                name, f"must be one of {', '.join(NOTE_KINDS)}", key=f"{where}.kind"
            )
        note["kind"] = kind
        for key in ("where", "as_written", "correction"):
            value = item.get(key)
            if value is None:
                if kind in QUOTING_NOTE_KINDS and key in ("where", "as_written"):
                    raise FlowDocumentError(
                        name, f"a {kind} note must say it", key=f"{where}.{key}"
                    )
                continue
            if not isinstance(value, str):
                raise FlowDocumentError(name, "must be text", key=f"{where}.{key}")
            if key == "where":
                _check_length(value, MAX_WHERE, name, None, f"{where}.where")
            note[key] = value
        note["discussion"] = _text(item.get("discussion"), name, None, f"{where}.discussion")
        if not note["discussion"].get("en"):
            raise FlowDocumentError(
                name, "needs an English discussion (en)", key=f"{where}.discussion"
            )
        acknowledges = item.get("acknowledges", [])
        if not isinstance(acknowledges, list) or not all(
            isinstance(rule, str) and rule for rule in acknowledges
        ):
            raise FlowDocumentError(
                name, "must be a list of checker rule names", key=f"{where}.acknowledges"
            )
        if acknowledges:
            note["acknowledges"] = list(acknowledges)
        result.append(note)
    return result


def _text(value: Any, name: str, step: str | None, key: str) -> dict[str, str]:
    """A bilingual text: {en: ..., zh: ...}; a plain string is taken as English."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"en": value}
    if not isinstance(value, dict) or not set(value) <= set(LANGS):
        raise FlowDocumentError(name, "must be a mapping with keys en and zh", step, key)
    if not all(isinstance(v, str) for v in value.values()):
        raise FlowDocumentError(name, "en and zh must be text", step, key)
    return {lang: value[lang] for lang in LANGS if value.get(lang)}


def _require_mapping(value: Any, name: str, step: str | None, key: str | None, allowed: Iterable):
    if not isinstance(value, dict):
        raise FlowDocumentError(name, "must be a mapping", step, key)
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise FlowDocumentError(
            name, f"unknown key '{unknown[0]}' (allowed: {', '.join(allowed)})", step, key
        )


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _step_name(item: Any, index: int) -> str:
    """How errors name a step: its label if it has one, else its position (#3)."""
    if isinstance(item, dict) and isinstance(item.get("label"), str):
        return _shown(item["label"])
    return f"#{index + 1}"


def _shown(value: Any) -> str:
    """A value as a short text for a message; never fails, whatever the value."""
    if isinstance(value, str):
        return value if len(value) <= 40 else value[:39] + "…"
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if _is_small_number(value):
        return str(value)
    if isinstance(value, int):
        return "a very long number"
    kinds: dict[type, str] = {dict: "a mapping", list: "a list"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def _is_small_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, float) or (isinstance(value, int) and value.bit_length() <= 64)


def _check_length(value: str, limit: int, name: str, step: str | None, key: str) -> None:
    if len(value) > limit:
        raise FlowDocumentError(
            name, f"is {len(value)} characters long; at most {limit} are kept", step, key
        )


def _check_storable(doc: dict, name: str) -> None:
    """Every key is text, and no text holds what the database cannot store.

    Walks without recursion, so a deeply nested value costs a message, not a crash.
    """
    pending: list[tuple[Any, str | None, str]] = [(doc, None, "")]
    while pending:
        value, step, path = pending.pop()
        if isinstance(value, str):
            bad = _UNSTORABLE.search(value)
            if bad:
                what = "a NUL character" if bad.group() == "\x00" else "a lone surrogate"
                raise FlowDocumentError(
                    name, f"holds {what}, which cannot be stored", step, path or None
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or _UNSTORABLE.search(key):
                    raise FlowDocumentError(
                        name, f"keys are names, not '{_shown(key)}'", step, path or None
                    )
                pending.append((item, step, f"{path}.{key}" if path else key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if path == "steps":
                    pending.append((item, _step_name(item, index), ""))
                else:
                    pending.append((item, step, f"{path}[{index}]"))


class _DocumentDumper(yaml.SafeDumper):
    """Indented lists, and block style for multi-line text so messages read as on the wire."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_DocumentDumper.add_representer(str, _represent_str)


def dump_documents(documents: list[dict[str, Any]], fmt: str = "yaml") -> str:
    """Text for people (LF endings). JSON is always a list; YAML is a list only for many."""
    people = [_for_people(doc) for doc in documents]
    if fmt == "json":
        return json.dumps(people, ensure_ascii=False, indent=2) + "\n"
    if fmt != "yaml":
        raise ValueError(f"unknown format {fmt!r}: use yaml or json")
    data: Any = people[0] if len(people) == 1 else people
    return yaml.dump(data, Dumper=_DocumentDumper, allow_unicode=True, sort_keys=False, width=4096)


def _for_people(doc: dict[str, Any]) -> dict[str, Any]:
    steps = [
        {**step, "message": message_for_people(step["message"])} if "message" in step else step
        for step in doc["steps"]
    ]
    return {**doc, "steps": steps}
