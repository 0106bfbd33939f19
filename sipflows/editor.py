"""The editor's pages: editing a flow in the browser, saving it as a revision, merging with a
save made meanwhile, new flows, duplicates, deletion, downloads and uploads.

The whole draft travels in the editor's form (sipflows.forms.FlowDraft), so every answer, a
check while typing as much as a refused save, is drawn again from what was posted and nothing
typed is lost. Saves go through services.flow_save, the one write path.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import yaml
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import selectors, services
from .drawn import draw
from .forms import DeleteForm, EditRefused, ExportForm, FlowDraft, SaveForm, UploadForm
from .frames import stepper_context
from .models import Flow, FlowRevision
from .sip.draftcheck import validate_collecting
from .sip.flowdiff import diff_documents
from .sip.flowdoc import (
    MEDIA_KINDS,
    NOTE_KINDS,
    ROLES,
    STEP_KINDS,
    FlowDocumentError,
    dump_documents,
    parse_documents,
    validate_document,
)
from .sip.flowmerge import MINE, THEIRS, merge_choices, merge_documents
from .sip.message import parse_message
from .sip.pcap import CaptureError, import_capture
from .sip.rfcreader import read_call_flows

EDIT_TEMPLATE = "sipflows/editor/edit.html"
# Slugs and step labels the library's own addresses use under /flows/ and /flows/<slug>/.
RESERVED_SLUGS = {"new", "import"}
RESERVED_LABELS = {"edit", "delete", "export", "history", "diff", "revert", "live"}
# The preview's links lead to the step's fields in the editor (id "edit-<label>/").
PREVIEW_BASE_URL = "#edit-"


def editor_required(view):
    """Signed-in editors only: others are sent to sign in, or told they may not edit."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.is_editor(request.user):
            return render(request, "sipflows/editor/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


# --- Editing ---------------------------------------------------------------------------------


@editor_required
def flow_edit(request, slug: str):
    if request.method == "POST":
        # Even a flow deleted meanwhile: the save then shows the deletion as their change.
        return _editor_post(request, selectors.flow_history(slug=slug)[0])
    revision = selectors.revision_current(slug=slug)
    draft = FlowDraft.from_document(revision.document)
    return _editor_page(request, Editing(draft, revision.flow, revision.number))


@editor_required
def flow_new(request):
    """A new flow from scratch, or (?from=SLUG) a copy of a flow to save under a new slug."""
    if request.method == "POST":
        return _editor_post(request, None)
    original = request.GET.get("from")
    if original:
        draft = FlowDraft.from_document(selectors.revision_current(slug=original).document)
        draft.slug, draft.title_en = (
            _copy_slug(draft.slug),
            _("%(title)s (copy)") % {"title": draft.title_en},
        )
    else:
        draft = FlowDraft.blank()
    return _editor_page(request, Editing(draft, None, None))


def _copy_slug(slug: str) -> str:
    taken = set(Flow.objects.filter(slug__startswith=slug).values_list("slug", flat=True))
    candidates = (f"{slug}-copy", *(f"{slug}-copy-{n}" for n in range(2, len(taken) + 3)))
    return next(c[:64] for c in candidates if c[:64] not in taken)


@dataclass
class Editing:
    """One answer of the editor: the draft and what to say about it."""

    draft: FlowDraft
    flow: Flow | None  # None for a new flow
    base_version: int | None
    change_message: str = ""
    refusals: list[str] = field(default_factory=list)
    notice: str = ""
    focus: str = ""
    preview_label: str = ""
    conflict: dict[str, Any] | None = None


def _editor_post(request, flow: Flow | None):
    draft = FlowDraft.from_post(request.POST)
    editing = Editing(
        draft,
        flow,
        _number(request.POST.get("base_version")),
        change_message=request.POST.get("change_message", ""),
        preview_label=request.POST.get("preview", ""),
    )
    op = request.POST.get("op", "refresh")
    if op.startswith("check:"):
        return _feedback(request, editing, _number(op.partition(":")[2]))
    if op == "save":
        return _save(request, editing, base_version=editing.base_version)
    if op == "overwrite":
        return _save(request, editing, base_version=_number(request.POST.get("theirs_version")))
    if op == "merge":
        return _merge(request, editing)
    if op.startswith("preview:"):
        editing.preview_label = op.partition(":")[2]
    elif op != "refresh":
        try:
            editing.focus = draft.apply(op) or ""
        except EditRefused as refusal:
            editing.refusals.append(str(refusal))
    return _editor_page(request, editing, partial=bool(request.htmx))


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _checked(draft: FlowDraft) -> tuple[dict[str, Any] | None, list[FlowDocumentError], list[str]]:
    """The draft validated (or None), every problem with it, and the size limits it breaks."""
    raw = draft.to_raw()
    limits = services.limit_problems(raw)
    if limits:  # too large to check in full; say so first
        return None, [], limits
    name = _("The draft")
    document, problems = validate_collecting(raw, name=name)
    if document is None:
        return None, problems, []
    reserved = _reserved_names(document, name)
    return (None, reserved, []) if reserved else (document, [], [])


def _reserved_names(document: dict[str, Any], name: str) -> list[FlowDocumentError]:
    """A slug or step label that the library's own addresses would hide."""
    taken = _("this name is kept for the library's own pages")
    reserved = []
    if document["slug"] in RESERVED_SLUGS:
        reserved.append(FlowDocumentError(name, taken, key="slug"))
    reserved += [
        FlowDocumentError(name, taken, step["label"], "label")
        for step in document["steps"]
        if step["label"] in RESERVED_LABELS
    ]
    return reserved


def _save(request, editing: Editing, *, base_version: int | None):
    document, problems, limits = _checked(editing.draft)
    form = SaveForm({"change_message": editing.change_message, "base_version": base_version})
    if limits or problems or document is None or not form.is_valid():
        editing.refusals += limits + [str(p) for p in problems]
        editing.refusals += [str(e) for errors in form.errors.values() for e in errors]
        editing.refusals.insert(0, _("Nothing was saved: the draft is below, as you left it."))
        return _editor_page(request, editing, status=400)
    try:
        revision = services.flow_save(
            document=document,
            base_version=base_version,
            flow=editing.flow,
            author=request.user,
            message=form.cleaned_data["change_message"],
        )
    except services.StaleRevision as stale:
        editing.conflict = _conflict(editing.flow, stale.base, document)
        return _editor_page(request, editing, status=409)
    except services.FlowSaveError as refusal:
        editing.refusals += [_("Nothing was saved."), str(refusal)]
        return _editor_page(request, editing, status=400)
    wip = _work_in_progress(document)
    saved = _("Saved as revision %(number)d.") % {"number": revision.number}
    if wip:
        saved += " " + ngettext(
            "%(steps)s is saved as work in progress: the parser finds errors in its message.",
            "%(steps)s are saved as work in progress: the parser finds errors in their messages.",
            len(wip),
        ) % {"steps": ", ".join(wip)}
    messages.success(request, saved)
    return redirect("flow_edit", slug=revision.slug)


def _work_in_progress(document: dict[str, Any]) -> list[str]:
    """Labels of message steps whose message has errors the parser cannot get past."""
    return [
        s["label"]
        for s in document["steps"]
        if s["kind"] == "message" and _parse_errors(s["message"])
    ]


def _parse_errors(message: str) -> bool:
    return any(p.severity == "error" for p in parse_message(message).problems)


def _conflict(flow: Flow, base: int | None, mine: dict[str, Any]) -> dict[str, Any]:
    """Both versions, what differs, and the choices a merge makes (their work is kept)."""
    flow.refresh_from_db()
    theirs = FlowRevision.objects.select_related("author").get(flow=flow, number=flow.version)
    base_revision = FlowRevision.objects.filter(flow=flow, number=base or 0).first()
    base_document = base_revision.document if base_revision else theirs.document
    return {
        "theirs": theirs,
        "base": base_revision,
        "their_changes": diff_documents(base_document, theirs.document),
        "my_changes": diff_documents(theirs.document, mine),
        "choices": merge_choices(base_document, theirs.document, mine),
        "MINE": MINE,
        "THEIRS": THEIRS,
    }


def _merge(request, editing: Editing):
    """The draft merged with the flow's current revision, field by field as chosen; shown for
    review on top of the current revision, not saved yet."""
    document, problems, limits = _checked(editing.draft)
    theirs_version = _number(request.POST.get("theirs_version"))
    if document is None or editing.flow is None or theirs_version is None:
        editing.refusals += limits + [str(p) for p in problems]
        return _editor_page(request, editing, status=400)
    conflict = _conflict(editing.flow, editing.base_version, document)
    if conflict["theirs"].number != theirs_version:  # yet another save came in: choose again
        editing.conflict = conflict
        editing.refusals.append(_("The flow was saved again while you chose: choose again."))
        return _editor_page(request, editing, status=409)
    chosen = {c.name: request.POST.get(c.name, c.default) for c in conflict["choices"]}
    merged = merge_documents(conflict["theirs"].document, document, chosen, conflict["choices"])
    merged_document, merge_problems = validate_collecting(merged, name=_("The merged draft"))
    if merged_document is None:
        editing.conflict = conflict
        editing.refusals += [_("These choices do not make a valid flow:")]
        editing.refusals += [str(p) for p in merge_problems]
        return _editor_page(request, editing, status=400)
    editing.draft = FlowDraft.from_document(merged_document)
    editing.base_version = theirs_version
    editing.notice = _(
        "Merged with revision %(number)d as you chose. Nothing is saved yet: review and save."
    ) % {"number": theirs_version}
    return _editor_page(request, editing)


def _feedback(request, editing: Editing, index: int | None):
    """What the parser and the checker say about step `index` of the draft, with the preview
    of that step (swapped in place as the editor types)."""
    if index is None or index >= len(editing.draft.steps):
        return HttpResponse(status=204)
    editing.preview_label = editing.draft.steps[index].label
    context = _editor_context(request, editing)
    row = context["step_rows"][index]
    return render(request, f"{EDIT_TEMPLATE}#step-feedback", {**context, "row": row, "oob": True})


def _editor_page(request, editing: Editing, *, partial: bool = False, status: int = 200):
    template = f"{EDIT_TEMPLATE}#editor-form" if partial else EDIT_TEMPLATE
    return render(request, template, _editor_context(request, editing), status=status)


@dataclass
class StepRow:
    index: int
    step: Any
    problems: list[Any]
    findings: list[Any]
    errors: list[str]

    @property
    def work_in_progress(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def _editor_context(request, editing: Editing) -> dict[str, Any]:
    draft = editing.draft
    document, problems, limits = _checked(draft)
    findings = selectors.findings_by_step(document) if document else {}
    errors_by_step: dict[str, list[str]] = {}
    for problem in problems:
        if problem.step is not None:
            errors_by_step.setdefault(problem.step, []).append(
                f"{problem.key}: {problem.problem}" if problem.key else problem.problem
            )
    step_rows = [
        StepRow(
            index,
            step,
            parse_message(step.message).problems if step.kind == "message" else [],
            findings.get(step.label, []),
            errors_by_step.get(step.label or f"#{index + 1}", []),
        )
        for index, step in enumerate(draft.steps)
    ]
    return {
        "editing": editing,
        "draft": draft,
        "flow": editing.flow,
        "step_rows": step_rows,
        "problems": problems,
        "limits": limits,
        "draft_valid": document is not None,
        "flow_findings": findings.get(None, []),
        "finding_count": sum(not f.acknowledged for fs in findings.values() for f in fs),
        "preview_html": _preview(request, document, editing.preview_label),
        "action": request.path,
        "roles": ROLES,
        "step_kinds": STEP_KINDS,
        "media_kinds": MEDIA_KINDS,
        "note_kinds": NOTE_KINDS,
        "labels": [s.label for s in draft.steps if s.label],
    }


def _preview(request, document: dict[str, Any] | None, label: str) -> str:
    """The real stepper's partials drawing the unsaved draft (its ladder and one step)."""
    if document is None:
        return ""
    drawn = draw(document, base_url=PREVIEW_BASE_URL)
    context = stepper_context(drawn, drawn.index(label), mode="preview")
    # The stepper's own templates, autoescaped; the result is safe to place in the page.
    return mark_safe(render_to_string("sipflows/editor/preview.html", context, request))


# --- Deleting --------------------------------------------------------------------------------


@editor_required
def flow_delete(request, slug: str):
    """Delete a flow as a revision of its history (restorable there)."""
    revision = selectors.revision_current(slug=slug)
    form = DeleteForm(request.POST or None, initial={"base_version": revision.number})
    if request.method == "POST" and form.is_valid():
        try:
            services.flow_delete(
                flow=revision.flow,
                base_version=form.cleaned_data["base_version"],
                author=request.user,
                message=form.cleaned_data["change_message"],
            )
        except services.FlowSaveError as refusal:
            form.add_error(None, str(refusal))
        else:
            return redirect("flow_history", slug=slug)
    return render(request, "sipflows/editor/delete.html", {"flow": revision.flow, "form": form})


# --- Downloads -------------------------------------------------------------------------------


def flow_export(request, slug: str):
    """A flow's current revision, or any revision (?revision=N), as a YAML or JSON file."""
    flow, revisions = selectors.flow_history(slug=slug)
    form = ExportForm(request.GET, numbers=[r.number for r in revisions])
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    number = form.cleaned_data["revision"] or flow.version
    revision = next(r for r in revisions if r.number == number)
    fmt = form.cleaned_data["format"]
    response = HttpResponse(
        dump_documents([revision.document], fmt),
        content_type="application/json" if fmt == "json" else "application/yaml",
    )
    filename = f"{revision.slug}-r{revision.number}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Uploads ---------------------------------------------------------------------------------


@editor_required
def flows_upload(request):
    """Upload flow documents: every problem listed first, then what would change, then save
    them all or none."""
    context: dict[str, Any] = {"form": UploadForm()}
    if request.method == "POST" and "document_text" in request.POST:
        return _upload_confirm(request)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            name = request.FILES["file"].name
            data = form.cleaned_data["file"]
            if data.startswith(CAPTURE_MAGIC):
                documents, problems, unread = _read_capture(data, name)
            else:
                (documents, problems), unread = _read_upload(data, name), []
            context.update(problems=problems, name=name, unread=unread)
            if documents:
                context.update(
                    previews=_upload_previews(documents),
                    document_text=dump_documents(documents),
                )
        status = 400 if not form.is_valid() or context.get("problems") else 200
        return render(request, "sipflows/editor/upload.html", context, status=status)
    return render(request, "sipflows/editor/upload.html", context)


# pcap (either byte order, micro- or nanoseconds) and pcapng files start with these bytes.
CAPTURE_MAGIC = (
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x0a\x0d\x0d\x0a",
)


def _read_capture(
    data: bytes, name: str
) -> tuple[list[dict[str, Any]], list[FlowDocumentError], list[str]]:
    """The calls of a capture as flow documents, with what could not be read (by packet);
    a capture with no SIP in it is one problem, and nothing is saved."""
    # The flows are called after the file: "lab call.pcap" gives lab-call-1, lab-call-2, ...
    stem = slugify(name.rsplit(".", 1)[0])[:48] or "capture"
    try:
        found = import_capture(data, name=stem)
        documents = [validate_document(document, name=name) for document in found.documents]
    except (CaptureError, FlowDocumentError) as unreadable:
        return [], [FlowDocumentError(name, str(unreadable))], []
    reserved = [p for document in documents for p in _reserved_names(document, name)]
    return ([], reserved, found.problems) if reserved else (documents, [], found.problems)


def _read_upload(data: bytes, name: str) -> tuple[list[dict[str, Any]], list[FlowDocumentError]]:
    """The uploaded documents, or every problem found in them."""
    try:
        documents = parse_documents(data, name=name)
    except FlowDocumentError as first:
        if first.step is None and first.key is None:  # not YAML/JSON at all, too large, ...
            return [], [first]
    else:
        reserved = [p for document in documents for p in _reserved_names(document, name)]
        return ([], reserved) if reserved else (documents, [])
    # The text parses: collect every problem, document by document.
    data_text = data.decode("utf-8")
    loaded = yaml.safe_load(data_text)
    items = loaded if isinstance(loaded, list) else [loaded]
    problems: list[FlowDocumentError] = []
    for index, item in enumerate(items):
        _, found = validate_collecting(item, name=name if len(items) == 1 else f"{name}[{index}]")
        problems += found
    return [], problems


def _upload_previews(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    previews = []
    for document in documents:
        current = selectors.revision_find(slug=document["slug"])
        flow = Flow.objects.filter(slug=document["slug"]).first()
        previews.append(
            {
                "document": document,
                "current": current,
                "deleted": flow is not None and flow.is_deleted,
                "base_version": flow.version if flow else "",
                "diff": diff_documents(current.document, document) if current else None,
                "limits": services.limit_problems(document),
            }
        )
    return previews


def _upload_confirm(request):
    text = request.POST["document_text"]
    try:
        documents = parse_documents(text, name=_("the upload"))
    except FlowDocumentError as problem:
        return render(
            request,
            "sipflows/editor/upload.html",
            {"form": UploadForm(), "problems": [problem]},
            status=400,
        )
    bases = {d["slug"]: _number(request.POST.get(f"base-{d['slug']}")) for d in documents}
    message = request.POST.get("change_message", "").strip()[:200] or _("Uploaded")
    try:
        saved = services.flows_upload(
            documents=documents, base_versions=bases, author=request.user, message=message
        )
    except services.FlowSaveError as refusal:
        context = {
            "form": UploadForm(),
            "refusal": str(refusal),
            "previews": _upload_previews(documents),
            "document_text": text,
        }
        return render(request, "sipflows/editor/upload.html", context, status=409)
    _announce_saved(request, saved)
    if len(saved) == 1:
        return redirect("flow_history", slug=saved[0].slug)
    return redirect("home")


def _announce_saved(request, saved: list[FlowRevision]) -> None:
    for revision in saved:
        messages.success(
            request,
            _("%(slug)s saved as revision %(number)d.")
            % {"slug": revision.slug, "number": revision.number},
        )


@editor_required
def rfc_upload(request):
    """Read an RFC's call-flow sections and import the ones the editor picks."""
    context: dict[str, Any] = {"form": UploadForm()}
    if request.method == "POST" and "rfc_text" in request.POST:
        return _rfc_import(request)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            text = form.cleaned_data["file"].decode("utf-8", errors="replace")
            context.update(sections=_rfc_sections(text), rfc_text=text)
            context["name"] = request.FILES["file"].name
        else:
            return render(request, "sipflows/editor/rfc.html", context, status=400)
    return render(request, "sipflows/editor/rfc.html", context)


def _rfc_sections(text: str) -> list[dict[str, Any]]:
    reading = read_call_flows(text)
    known = set(Flow.objects.values_list("slug", flat=True))
    return [
        {
            "flow": flow,
            "section": flow["source"]["section"],
            "warnings": [p for p in reading.problems if p.section == flow["source"]["section"]],
            "exists": flow["slug"] in known,
        }
        for flow in reading.flows
    ]


def _rfc_import(request):
    text = request.POST["rfc_text"]
    chosen = set(request.POST.getlist("section"))
    sections = _rfc_sections(text)
    documents = [copy.deepcopy(s["flow"]) for s in sections if s["section"] in chosen]
    if not documents:
        context = {"form": UploadForm(), "sections": sections, "rfc_text": text}
        context["refusal"] = _("Choose at least one section to import.")
        return render(request, "sipflows/editor/rfc.html", context, status=400)
    bases = {}
    for document in documents:
        flow = Flow.objects.filter(slug=document["slug"]).first()
        bases[document["slug"]] = flow.version if flow else None
    try:
        saved = services.flows_upload(
            documents=documents,
            base_versions=bases,
            author=request.user,
            message=_("Read from the RFC text"),
        )
    except services.FlowSaveError as refusal:
        context = {"form": UploadForm(), "sections": sections, "rfc_text": text}
        context["refusal"] = str(refusal)
        return render(request, "sipflows/editor/rfc.html", context, status=400)
    _announce_saved(request, saved)
    return redirect("home")
