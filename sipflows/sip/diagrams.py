"""Diagram exports of a flow document (pure code): standalone SVG, PNG, Mermaid, PlantUML.

The SVG is written here from the ladder layout (sipflows.ladder) with the page's ladder
stylesheet embedded, rather than by the page's template: a download is a function of the
flow document alone (no request, no database, no template engine), and it must be one
self-contained <svg> that also renders outside browsers (cairosvg for the PNG), so CSS
variables are resolved and the caption halo is a shape of its own instead of paint-order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from sipflows.ladder import Ladder, LaneSpec, Row, StepSpec, layout_ladder

from .message import parse_message

LADDER_CSS = Path(__file__).resolve().parents[2] / "static" / "sipflows" / "css" / "ladder.css"
ROLE_NAMES = {
    "ua": {"en": "User agent", "zh": "用户代理"},
    "proxy": {"en": "Proxy", "zh": "代理"},
    "server": {"en": "Server", "zh": "服务器"},
}
MEDIA_WORDS = {
    "two-way": {"en": "media both ways", "zh": "双向媒体"},
    "one-way": {"en": "media one way", "zh": "单向媒体"},
    "none": {"en": "no media", "zh": "无媒体"},
}
NOTE_KINDS = {
    "rfc-defect": {"en": "RFC defect", "zh": "RFC 缺陷"},
    "official-erratum": {"en": "official erratum", "zh": "官方勘误"},
    "article-correction": {"en": "article correction", "zh": "文章更正"},
    "discussion": {"en": "discussion", "zh": "讨论"},
}
NOTE_LENGTH = 140  # characters of a note's discussion a diagram shows
STANDALONE_CSS = """
svg.ladder { max-height: none; overflow: visible; border: 0; border-radius: 0; }
.ladder .step-text { stroke: none; }
.step-halo { fill: none; stroke: #ffffff; stroke-width: 5px; stroke-linejoin: round; }
"""


def text_in(value: Mapping[str, str] | None, lang: str) -> str:
    """A bilingual text in `lang`, English when it has no such translation."""
    value = value or {}
    return value.get(lang) or value.get("en", "")


def caption(step: Mapping[str, Any], lang: str) -> str:
    if step["kind"] == "message":
        return parse_message(step["message"]).summary
    return text_in(step.get("text"), lang)


def document_ladder(
    doc: Mapping[str, Any], lang: str, url: Callable[[str], str] = lambda label: f"#{label}"
) -> Ladder:
    noted = {note.get("step") for note in doc.get("notes", [])}
    return layout_ladder(
        [LaneSpec(p["key"], p["name"], p["role"]) for p in doc["participants"]],
        [
            StepSpec(
                label=s["label"],
                kind=s["kind"],
                from_key=s.get("from"),
                to_key=s.get("to"),
                caption=caption(s, lang),
                media=s.get("media"),
                has_notes=s["label"] in noted,
                url=url(s["label"]),
            )
            for s in doc["steps"]
        ],
    )


# --- SVG and PNG ------------------------------------------------------------------------


@cache
def standalone_css() -> str:
    """ladder.css with its variables resolved (not every SVG renderer knows var())."""
    css = LADDER_CSS.read_text(encoding="utf-8")
    variables = dict(re.findall(r"(--ladder-[\w-]+):\s*([^;]+);", css))
    css = re.sub(r"var\((--ladder-[\w-]+)\)", lambda m: variables.get(m[1], m[0]), css)
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    css = re.sub(r"[^{}]*\{[^{}]*var\([^{}]*\}", "", css)  # sizing of the page's scroller
    return css + STANDALONE_CSS


def ladder_svg(doc: Mapping[str, Any], lang: str = "en", *, for_page: bool = False) -> str:
    """One self-contained SVG of the ladder (header and body), styles embedded. For a page
    (that may hold it once per language), rows take the focus and carry no ids."""
    ladder = document_ladder(doc, lang)
    title = text_in(doc["title"], lang)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ladder" width="{ladder.width}" '
        f'height="{ladder.height}" viewBox="0 0 {ladder.width} {ladder.height}" '
        'font-family="DejaVu Sans, Noto Sans CJK SC, sans-serif" font-size="14" '
        f'role="img" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
        f"<style>{standalone_css()}</style>",
        f'<rect width="{ladder.width}" height="{ladder.height}" fill="#ffffff"/>',
        '<g class="ladder-head">',
    ]
    for lane in ladder.lanes:
        role = text_in(ROLE_NAMES[lane.role], lang)
        out += [
            f'<g class="lane lane-{lane.role}">',
            f'<text class="lane-name" x="{lane.x}" y="21" text-anchor="middle">'
            f"{escape(lane.name)}</text>",
            f'<text class="lane-role" x="{lane.x}" y="38" text-anchor="middle">{role}</text>',
            f'<line class="lifeline" x1="{lane.x}" y1="44" x2="{lane.x}" '
            f'y2="{ladder.header_height}"/>',
            "</g>",
        ]
    out += ["</g>", f'<g class="ladder-body" transform="translate(0 {ladder.header_height})">']
    for lane in ladder.lanes:
        out.append(
            f'<line class="lifeline" x1="{lane.x}" y1="0" x2="{lane.x}" y2="{ladder.body_height}"/>'
        )
    for row in ladder.rows:
        out += _row_svg(ladder, row, lang, for_page)
    out += ["</g>", "</svg>"]
    return "\n".join(out) + "\n"


def _row_svg(ladder: Ladder, row: Row, lang: str, for_page: bool) -> list[str]:
    classes = f"step step-{row.kind}"
    classes += f" media-{row.media}" if row.media else ""
    classes += " is-dashed" if row.dashed else ""
    if row.kind == "event":
        description = row.label_text
    elif row.kind == "media":
        description = f"{row.label_text} ({text_in(MEDIA_WORDS[row.media or 'none'], lang)}): "
        description += f"{row.sender} – {row.receiver}"
    else:
        description = f"{row.label_text}: {row.sender} → {row.receiver}"
    extra = ' tabindex="0" role="button"' if for_page else f' id="step-{row.label}"'
    out = [
        f'<g class="{classes}" data-label={quoteattr(row.label)}{extra}>',
        f"<title>{escape(description)}</title>",
        f'<rect class="step-band" x="0" y="{row.band_y}" width="{ladder.width}" '
        f'height="{ladder.row_gap}"/>',
    ]
    if row.kind == "event":
        out.append(
            f'<rect class="step-box" x="{row.box_x}" y="{row.box_y}" width="{row.box_width}" '
            f'height="{row.box_height}" rx="6"/>'
        )
    out += [f'<path class="step-line" d="{d}"/>' for d in row.paths]
    out += [f'<polygon class="step-head" points="{points}"/>' for points in row.heads]
    if row.cross:
        out.append(f'<path class="step-cross" d="{row.cross}"/>')
    # One run of text: renderers other than browsers misplace a tspan in anchored text.
    place = f'x="{row.text_x}" y="{row.text_y}" text-anchor="{row.text_anchor}"'
    if row.kind != "event":
        out.append(f'<text class="step-halo" {place}>{escape(row.label_text)}</text>')
    out.append(f'<text class="step-text" {place}>{escape(row.label_text)}</text>')
    if row.has_notes:
        out.append(
            f'<g class="step-badge"><circle cx="{row.badge_x}" cy="{row.badge_y}" '
            f'r="{ladder.badge_radius}"/><text x="{row.badge_x}" y="{row.badge_text_y}" '
            'text-anchor="middle">i</text></g>'
        )
    out.append("</g>")
    return out


def ladder_png(doc: Mapping[str, Any], lang: str = "en", scale: float = 2.0) -> bytes:
    """The standalone SVG rendered to PNG (cairosvg), twice its size for slides by default."""
    import cairosvg  # a native library: loaded only by those who ask for a PNG

    png = cairosvg.svg2png(bytestring=ladder_svg(doc, lang).encode(), scale=scale)
    assert isinstance(png, bytes)
    return png


# --- Mermaid and PlantUML ----------------------------------------------------------------


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _note_text(note: Mapping[str, Any], lang: str) -> str:
    discussion = _one_line(text_in(note["discussion"], lang))
    if len(discussion) > NOTE_LENGTH:
        discussion = discussion[: NOTE_LENGTH - 1].rstrip() + "…"
    return f"{note['key']} ({text_in(NOTE_KINDS[note['kind']], lang)}): {discussion}"


def _notes_by_step(doc: Mapping[str, Any]) -> dict[str | None, list[Mapping[str, Any]]]:
    found: dict[str | None, list[Mapping[str, Any]]] = {}
    for note in doc.get("notes", []):
        found.setdefault(note.get("step"), []).append(note)
    return found


def _step_ends(doc: Mapping[str, Any], step: Mapping[str, Any]) -> tuple[str, str]:
    """The lanes a note or an event spans: its own, or the whole ladder."""
    keys = [p["key"] for p in doc["participants"]]
    if step.get("from") and step.get("to"):
        return step["from"], step["to"]
    return keys[0], keys[-1]


def _ident(key: str) -> str:
    """A lane key as both formats name participants ('-' would read as an arrow)."""
    return key.replace("-", "_")


def _sequence_lines(
    doc: Mapping[str, Any],
    lang: str,
    *,
    text: Callable[[str], str],
    message: str,
    media: Mapping[str, str],
    note: Callable[[str, str, str], str],
    event: Callable[[str, str, str], str],
) -> list[str]:
    """The body both text formats share: messages, media legs, events and notes, in order."""
    ident = _ident
    lines = []
    notes = _notes_by_step(doc)
    for step in doc["steps"]:
        label = f"{step['label']} {caption(step, lang)}"
        a, b = _step_ends(doc, step)
        if step["kind"] == "message":
            lines.append(f"{ident(a)}{message}{ident(b)}: {text(label)}")
        elif step["kind"] == "media":
            words = text_in(MEDIA_WORDS[step["media"]], lang)
            arrow = media[step["media"]]
            if arrow:
                lines.append(f"{ident(a)}{arrow}{ident(b)}: {text(f'{label} ({words})')}")
            else:
                lines.append(note(ident(a), ident(b), text(f"{label} ({words})")))
        else:
            lines.append(event(ident(a), ident(b), text(label)))
        for item in notes.get(step["label"], []):
            lines.append(note(ident(a), ident(b), text(_note_text(item, lang))))
    first, last = _step_ends(doc, {})
    for item in notes.get(None, []):
        lines.append(note(ident(first), ident(last), text(_note_text(item, lang))))
    return lines


def mermaid(doc: Mapping[str, Any], lang: str = "en") -> str:
    """A Mermaid sequenceDiagram; the F-labels number the messages."""

    def text(value: str) -> str:  # Mermaid's entity codes keep its separators out of text
        value = _one_line(value).replace("#", "#35;").replace(";", "#59;")
        return value.replace("<", "#lt;").replace(">", "#gt;")

    lines = ["sequenceDiagram", f"    title {text(text_in(doc['title'], lang))}"]
    for lane in doc["participants"]:
        lines.append(f"    participant {_ident(lane['key'])} as {text(lane['name'])}")
    lines += [
        "    " + line
        for line in _sequence_lines(
            doc,
            lang,
            text=text,
            message="->>",
            media={"two-way": "<<-->>", "one-way": "--)", "none": ""},
            note=lambda a, b, words: f"Note over {a},{b}: {words}",
            event=lambda a, b, words: f"Note over {a},{b}: {words}",
        )
    ]
    return "\n".join(lines) + "\n"


def plantuml(doc: Mapping[str, Any], lang: str = "en") -> str:
    """PlantUML sequence diagram text; events are dividers, notes are notes."""

    def text(value: str) -> str:
        return _one_line(value).replace("\\", "\\\\")

    lines = [
        "@startuml",
        f"title {text(text_in(doc['title'], lang))}",
        "skinparam maxMessageSize 260",
    ]
    for lane in doc["participants"]:
        shape = "participant" if lane["role"] == "ua" else "entity"
        lines.append(f'{shape} "{text(lane["name"])}" as {_ident(lane["key"])}')
    lines += _sequence_lines(
        doc,
        lang,
        text=text,
        message=" -> ",
        media={"two-way": " <-[#2e7d57]> ", "one-way": " -[#2e7d57]>> ", "none": ""},
        note=lambda a, b, words: f"note over {a}, {b} : {words}",
        event=lambda a, b, words: f"== {words} ==",
    )
    lines.append("@enduml")
    return "\n".join(lines) + "\n"
