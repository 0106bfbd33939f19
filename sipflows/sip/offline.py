"""One self-contained HTML file per flow, for reading offline (pure code).

Every step's panel (message highlighted, explanation, notes), the ladder and a small stepper
(← → keys, buttons, clicks on the ladder), in English and Chinese with a switch inside the
file. Nothing is fetched: styles and script are inline and a Content-Security-Policy forbids
any request, so it works from file:// with the network off.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from .diagrams import NOTE_KINDS, caption, ladder_svg, text_in
from .flowdoc import LANGS
from .highlight import highlight_css, highlight_message

WORDS = {
    "previous": {"en": "← Previous", "zh": "← 上一步"},
    "next": {"en": "Next →", "zh": "下一步 →"},
    "overview": {"en": "Overview", "zh": "概览"},
    "keys": {
        "en": "Keys ← and → step through the flow; click a row of the ladder to jump to it.",
        "zh": "用 ← 和 → 键逐步浏览；点击梯形图中的一行即可跳到该步。",
    },
    "as_written": {"en": "As written", "zh": "原文"},
    "corrected": {"en": "Corrected", "zh": "更正"},
    "source": {"en": "Source", "zh": "来源"},
    "notes": {"en": "Notes", "zh": "注释"},
}
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
PAGE_CSS = """
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2933; background: #fafbfc; }
header { display: flex; justify-content: space-between; align-items: center; gap: 1rem;
  padding: .6rem 1.2rem; background: #fff; border-bottom: 1px solid #d5dae0; }
header h1 { font-size: 1.25rem; margin: 0; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.2rem;
  padding: 1.2rem; align-items: start; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
.ladder-box { overflow: auto; max-height: 85vh; background: #fff; border: 1px solid #d5dae0;
  border-radius: 6px; }
.ladder-box svg { display: block; max-width: 100%; height: auto; }
.ladder-box .step { cursor: pointer; }
.controls { display: flex; gap: .6rem; align-items: center; margin-bottom: .8rem; }
.controls button, .langs button { font: inherit; padding: .25rem .7rem; border-radius: 4px;
  border: 1px solid #b9c1ca; background: #fff; cursor: pointer; }
.langs button[aria-pressed="true"] { background: #0a58ca; color: #fff; border-color: #0a58ca; }
.panel { background: #fff; border: 1px solid #d5dae0; border-radius: 6px;
  padding: .2rem 1rem 1rem; }
.panel h2 { font-size: 1.1rem; }
.ends { color: #66727f; margin-top: -.6rem; }
.sipmsg pre { overflow-x: auto; padding: .6rem; font-size: 13px; line-height: 1.35; }
.sipmsg .hll { background: #fff3b0; display: block; margin: 0 -.6rem; padding: 0 .6rem; }
.note { border-left: 4px solid #f2a900; padding: .1rem .8rem; margin: .8rem 0;
  background: #fffaf0; }
.note pre { white-space: pre-wrap; font-size: 13px; }
.note-kind { font-weight: 600; }
.hint { color: #66727f; font-size: .9rem; }
html[data-lang="en"] .t[lang="zh"], html[data-lang="zh"] .t[lang="en"] { display: none; }
"""
SCRIPT = """
(function () {
  var root = document.documentElement;
  var panels = Array.prototype.slice.call(document.querySelectorAll(".panel[data-label]"));
  var labels = panels.map(function (p) { return p.dataset.label; });
  var position = document.getElementById("position");
  var index = 0;
  function show(i) {
    index = Math.max(0, Math.min(panels.length - 1, i));
    var label = labels[index];
    panels.forEach(function (p, n) { p.hidden = n !== index; });
    document.querySelectorAll(".ladder-box .step").forEach(function (row) {
      var on = row.dataset.label === label;
      row.classList.toggle("is-current", on);
      if (on) { row.setAttribute("aria-current", "step"); }
      else { row.removeAttribute("aria-current"); }
    });
    position.textContent = index + " / " + (panels.length - 1);
    document.getElementById("previous").disabled = index === 0;
    document.getElementById("next").disabled = index === panels.length - 1;
    try { history.replaceState(null, "", label ? "#" + label : "#"); } catch (e) {}
  }
  function language(lang) {
    root.dataset.lang = lang; root.lang = lang === "zh" ? "zh-Hans" : "en";
    document.querySelectorAll(".langs button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.setLang === lang));
    });
    try { localStorage.setItem("sipflows-lang", lang); } catch (e) {}
  }
  document.getElementById("previous").addEventListener("click", function () { show(index - 1); });
  document.getElementById("next").addEventListener("click", function () { show(index + 1); });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key === "ArrowRight") { show(index + 1); event.preventDefault(); }
    if (event.key === "ArrowLeft") { show(index - 1); event.preventDefault(); }
    if (event.key === "Home") { show(0); event.preventDefault(); }
    if (event.key === "End") { show(panels.length - 1); event.preventDefault(); }
  });
  document.querySelectorAll(".ladder-box").forEach(function (box) {
    box.addEventListener("click", function (event) {
      var row = event.target.closest(".step[data-label]");
      if (row) { show(labels.indexOf(row.dataset.label)); }
    });
    box.addEventListener("keydown", function (event) {
      var row = event.target.closest(".step[data-label]");
      if (row && (event.key === "Enter" || event.key === " ")) {
        show(labels.indexOf(row.dataset.label)); event.preventDefault();
      }
    });
  });
  document.querySelectorAll(".langs button").forEach(function (b) {
    b.addEventListener("click", function () { language(b.dataset.setLang); });
  });
  var saved = null;
  try { saved = localStorage.getItem("sipflows-lang"); } catch (e) {}
  language(saved === "zh" ? "zh" : "en");
  var start = labels.indexOf(decodeURIComponent(location.hash.slice(1)));
  show(start > 0 ? start : 0);
})();
"""


def _both(texts: Mapping[str, str], tag: str = "span") -> str:
    """Both languages, each in its own element; the page shows the chosen one."""
    return "".join(
        f'<{tag} class="t" lang="{lang}">{escape(text_in(texts, lang))}</{tag}>' for lang in LANGS
    )


def _note(note: Mapping[str, Any]) -> str:
    parts = [
        '<article class="note">',
        f'<p><span class="note-kind">{_both(NOTE_KINDS[note["kind"]])}</span>'
        + (f" · {escape(note['where'])}" if note.get("where") else "")
        + "</p>",
    ]
    for key, word in (("as_written", "as_written"), ("correction", "corrected")):
        if note.get(key):
            parts.append(f"<p>{_both(WORDS[word])}</p><pre>{escape(note[key])}</pre>")
    parts += [_both(note["discussion"], "p"), "</article>"]
    return "".join(parts)


def _panel(doc: Mapping[str, Any], step: Mapping[str, Any], notes: list) -> str:
    names = {lane["key"]: lane["name"] for lane in doc["participants"]}
    heading = {lang: f"{step['label']} {caption(step, lang)}" for lang in LANGS}
    parts = [f'<section class="panel" data-label="{escape(step["label"])}" hidden>']
    parts.append(f"<h2>{_both(heading)}</h2>")
    if step.get("from") and step.get("to"):
        parts.append(
            f'<p class="ends">{escape(names[step["from"]])} → {escape(names[step["to"]])}</p>'
        )
    if step["kind"] == "message":
        parts.append(highlight_message(step["message"], step.get("focus", ())))
    if step.get("annotation"):
        parts.append(_both(step["annotation"], "p"))
    parts += [_note(note) for note in notes]
    parts.append("</section>")
    return "\n".join(parts)


def offline_html(doc: Mapping[str, Any]) -> str:
    title = doc["title"]
    notes_of: dict[str | None, list] = {}
    for note in doc.get("notes", []):
        notes_of.setdefault(note.get("step"), []).append(note)
    source = doc.get("source", {})
    overview = [
        '<section class="panel" data-label="">',
        f"<h2>{_both(WORDS['overview'])}</h2>",
        _both(doc.get("summary", {}), "p"),
    ]
    if source:
        where = " §".join(v for v in (source.get("document"), source.get("section")) if v)
        overview.append(f"<p>{_both(WORDS['source'])}: {escape(where)}</p>")
    overview.append(f'<p class="hint">{_both(WORDS["keys"])}</p>')
    overview += [_note(note) for note in notes_of.get(None, [])]
    overview.append("</section>")
    ladders = "".join(
        f'<div class="ladder-box t" lang="{lang}">{ladder_svg(doc, lang, for_page=True)}</div>'
        for lang in LANGS
    )
    languages = "".join(
        f'<button type="button" data-set-lang="{lang}" lang="{lang}">'
        f"{LANGUAGE_NAMES[lang]}</button>"
        for lang in LANGS
    )
    panels = [_panel(doc, step, notes_of.get(step["label"], [])) for step in doc["steps"]]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en" data-lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
            f"<title>{escape(text_in(title, 'en'))} · sipflows</title>",
            f"<style>{PAGE_CSS}\n{highlight_css()}</style>",
            "</head>",
            "<body>",
            f'<header><h1>{_both(title)}</h1><nav class="langs">{languages}</nav></header>',
            "<main>",
            ladders,
            '<div id="stepper">',
            '<div class="controls">'
            f'<button type="button" id="previous">{_both(WORDS["previous"])}</button>'
            '<span id="position" aria-live="polite"></span>'
            f'<button type="button" id="next">{_both(WORDS["next"])}</button></div>',
            *overview,
            *panels,
            "</div>",
            "</main>",
            f"<script>{SCRIPT}</script>",
            "</body>",
            "</html>",
        ]
    )
