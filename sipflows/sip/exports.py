"""Every export a flow has, as files: one table the command and the downloads share (pure)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import diagrams, offline, sipp


@dataclass(frozen=True)
class ExportFormat:
    extension: str
    content_type: str
    render: Callable[[Mapping[str, Any], str], bytes]  # (document, language) -> the file


def _text(
    write: Callable[[Mapping[str, Any], str], str],
) -> Callable[[Mapping[str, Any], str], bytes]:
    return lambda doc, lang: write(doc, lang).encode("utf-8")


FORMATS: dict[str, ExportFormat] = {
    "html": ExportFormat(
        ".html",
        "text/html; charset=utf-8",
        _text(lambda doc, _lang: offline.offline_html(doc)),  # holds both languages
    ),
    "svg": ExportFormat(".svg", "image/svg+xml", _text(diagrams.ladder_svg)),
    "png": ExportFormat(".png", "image/png", diagrams.ladder_png),
    "mermaid": ExportFormat(".mmd", "text/plain; charset=utf-8", _text(diagrams.mermaid)),
    "plantuml": ExportFormat(".puml", "text/plain; charset=utf-8", _text(diagrams.plantuml)),
    "sipp": ExportFormat(".zip", "application/zip", lambda doc, lang: _sipp_zip(doc, lang)),
}


def export_files(
    doc: Mapping[str, Any],
    fmt: str,
    *,
    lang: str = "en",
    lanes: Mapping[str, sipp.LaneAddress] | None = None,
) -> dict[str, bytes]:
    """Path in an output folder -> content; SIPp's files go in a folder of their own."""
    if fmt == "sipp":
        files = sipp.export_sipp(doc, lanes)
        return {f"{doc['slug']}/{name}": data for name, data in files.items()}
    return dict([export_download(doc, fmt, lang=lang)])


def export_download(doc: Mapping[str, Any], fmt: str, *, lang: str = "en") -> tuple[str, bytes]:
    """One file: its name and content (SIPp's folder as a zip)."""
    suffix = "" if lang == "en" or fmt in ("sipp", "html") else f".{lang}"
    stem = f"{doc['slug']}-sipp" if fmt == "sipp" else doc["slug"]
    return f"{stem}{suffix}{FORMATS[fmt].extension}", FORMATS[fmt].render(doc, lang)


def _sipp_zip(doc: Mapping[str, Any], _lang: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in export_files(doc, "sipp").items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if name.endswith(".sh") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
