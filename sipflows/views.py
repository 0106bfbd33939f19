import ipaddress
from urllib.parse import urlsplit

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import selectors, services, throttle
from .drawn import Kept
from .forms import DiffForm, JoinForm, NotesFilterForm, RevertForm
from .frames import (
    class_step_after_update,
    drawn_revision,
    drawn_revision_by_id,
    revision_url,
    stepper_context,
)
from .hub import announce_sync
from .pagecache import FLOW, LIBRARY, LIVE, cached_page
from .sip.exports import FORMATS, export_download
from .sip.flowdiff import ADDED, CHANGED, MOVED, REMOVED, diff_documents
from .sip.highlight import highlight_message
from .sip.reference import entry_for
from .templatetags.sipflows import content_language


@cached_page(LIBRARY)
def home(request):
    return render(
        request,
        "sipflows/home.html",
        {
            "groups": selectors.catalog_groups(),
            "other_flows": selectors.other_flows(),
            "can_edit": selectors.is_editor(request.user),
        },
    )


@cached_page(FLOW)
def flow_page(request, slug: str, label: str | None = None):
    """The flow overview (no label) or one step; htmx requests get the step's frame."""
    revision = selectors.revision_current(slug=slug)
    flow = drawn_revision(revision, base_url=revision_url(revision, current=True))
    return _stepper_page(
        request,
        flow,
        label,
        ws_url=f"/ws/flows/{slug}/",
        can_teach=selectors.is_instructor(request.user),
        can_edit=selectors.is_editor(request.user),
    )


def revision_page(request, slug: str, number: int, label: str | None = None):
    """A past (or the current) revision, stepped through like the flow itself."""
    revision = selectors.revision_get(slug=slug, number=number)
    flow = drawn_revision(revision, base_url=revision_url(revision, current=False))
    return _stepper_page(
        request,
        flow,
        label,
        ws_url=f"/ws/flows/{slug}/history/{number}/",
        revision=revision,
        revision_total=revision.flow.version,
    )


def _stepper_page(request, flow, label: str | None, **extra):
    index = flow.index(label)
    if label is not None and index is None:
        raise Http404(f"No step {label}")
    template = "sipflows/flow.html"
    if request.htmx:
        template += "#step-frame"
    return render(request, template, stepper_context(flow, index, mode="solo", **extra))


def flow_history(request, slug: str):
    flow, revisions = selectors.flow_history(slug=slug)
    rows = [
        (revision, _change_summary(older, revision) if older else None)
        for revision, older in zip(revisions, [*revisions[1:], None], strict=True)
    ]
    return render(
        request,
        "sipflows/history.html",
        {"flow": flow, "rows": rows, "can_edit": selectors.is_editor(request.user)},
    )


def _change_summary(older, revision) -> str:
    """'2 steps changed, 1 note added': what a revision did, in a few words."""
    fields, counts = _changes.get((older.pk, revision.pk), older, revision)
    parts = []
    if fields:
        parts.append(_FIELD_PHRASE % {"fields": ", ".join(fields)})
    for (kind, status), count in sorted(counts.items(), key=_summary_order):
        parts.append(_COUNT_PHRASES[(kind, status)](count) % {"count": count})
    return ", ".join(parts) if parts else str(_NO_CHANGE)


def _counted_changes(older, revision) -> tuple[list[str], dict]:
    diff = diff_documents(older.document, revision.document)
    return [f.name for f in diff.flow_fields], diff.counts


# Revisions never change: what one did against the one before is compared once.
_changes = Kept(_counted_changes, kept=1024)


def flow_diff(request, slug: str):
    """Two revisions of a flow compared, either way round (?from=N&to=M)."""
    flow, revisions = selectors.flow_history(slug=slug)
    form = DiffForm(request.GET or None, numbers=[r.number for r in revisions])
    context = {"flow": flow, "form": form, "revisions": revisions}
    if form.is_valid():
        by_number = {r.number: r for r in revisions}
        old, new = by_number[form.cleaned_data["from"]], by_number[form.cleaned_data["to"]]
        context.update(old=old, new=new, diff=diff_documents(old.document, new.document))
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "sipflows/diff.html", context, status=status)


@require_POST
@login_required
def flow_revert(request, slug: str):
    """Save revision N's document as the flow's next revision (editors only)."""
    if not selectors.is_editor(request.user):
        raise PermissionDenied("Only editors change the library.")
    flow, revisions = selectors.flow_history(slug=slug)
    form = RevertForm(request.POST, numbers=[r.number for r in revisions])
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    try:
        services.flow_revert(
            flow=flow,
            number=form.cleaned_data["number"],
            base_version=form.cleaned_data["base_version"],
            author=request.user,
        )
    except services.FlowSaveError as error:
        messages.error(request, str(error))
    return redirect("flow_history", slug=flow.slug if not flow.is_deleted else slug)


@cached_page(FLOW)
def flow_all(request, slug: str):
    """Every step of a flow on one page, annotation and message: for reading and printing."""
    revision = selectors.revision_current(slug=slug)
    flow = drawn_revision(revision, base_url=revision_url(revision, current=True))
    context = stepper_context(flow, None, mode="solo", ws_url="")
    # Pygments output: the formatter escapes every character of each message.
    context["step_messages"] = [
        (step, mark_safe(highlight_message(step.message, step.focus)) if step.message else "")
        for step in context["steps"]
    ]
    return render(request, "sipflows/flow_all.html", context)


@cached_page(LIBRARY)
def notes_index(request):
    form = NotesFilterForm(request.GET or None, flows=selectors.flows_with_notes())
    kind, slug = form.chosen()
    return render(
        request,
        "sipflows/notes.html",
        {"notes": selectors.notes_all(kind=kind, flow_slug=slug), "form": form},
    )


@require_POST
@login_required
def live_start(request, slug: str):
    if not selectors.is_instructor(request.user):
        raise PermissionDenied("Only instructors start live walkthroughs.")
    session = services.live_session_start(flow=selectors.flow_get(slug=slug), owner=request.user)
    return redirect("live_present", code=session.code)


def live_join(request):
    client = request.META.get("REMOTE_ADDR", "")
    if throttle.join_refused(client=client):
        return _join_refused(request)
    form = JoinForm(request.GET or None)
    if form.is_valid():
        return redirect("live_follow", code=form.cleaned_data["code"])
    if form.has_error("code", "unknown"):
        throttle.join_failed(client=client)
    return render(request, "sipflows/live_join.html", {"form": form})


@cached_page(LIVE)
def live_follow(request, code: str):
    client = request.META.get("REMOTE_ADDR", "")
    if throttle.join_refused(client=client):
        return _join_refused(request)
    session = selectors.live_session_find(code=code.upper())
    if session is None:
        throttle.join_failed(client=client)
        raise Http404("No live walkthrough with this code.")
    return _live_page(request, session, mode="follow")


def _join_refused(request):
    context = {"form": JoinForm(), "refused": True}
    return render(request, "sipflows/live_join.html", context, status=429)


@login_required
def live_present(request, code: str):
    session = _owned_session(request, code)
    join_url = request.build_absolute_uri(session.get_absolute_url())
    # segno's SVG is ours, not user text: safe to put in the page as it is. A viewBox instead
    # of a fixed size lets CSS scale it whole, white quiet zone included.
    qr = segno.make(join_url, error="m").svg_inline(border=4, omitsize=True, light="#fff")
    return _live_page(
        request,
        session,
        mode="present",
        join_url=join_url,
        qr_svg=mark_safe(qr),
        join_host_unreachable=_unreachable_from_elsewhere(request.get_host()),
        newer=session.is_live and session.revision.number < session.flow.version,
        presence=selectors.live_presence(code=session.code),
    )


@require_POST
@login_required
def live_end(request, code: str):
    session = _owned_session(request, code)
    announce_sync(services.live_session_end(code=session.code))
    return redirect(session.flow.get_absolute_url())


def _unreachable_from_elsewhere(host: str) -> bool:
    """Whether other devices cannot open a link to `host` (loopback, or no address at all)."""
    name = urlsplit(f"//{host}").hostname or ""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False  # a name: the instructor chose it for the class
    return address.is_loopback or address.is_unspecified


@require_POST
@login_required
def live_update(request, code: str):
    """Move the class to the flow's newest revision, on the same step where it still exists."""
    session = _owned_session(request, code)
    updated = services.live_session_update(code=session.code, follow=class_step_after_update)
    if updated is not None:
        announce_sync(updated)
    return redirect("live_present", code=session.code)


def _owned_session(request, code: str):
    session = selectors.live_session_get(code=code)
    if session.owner_id != request.user.pk:
        raise PermissionDenied("This walkthrough belongs to another instructor.")
    return session


def _live_page(request, session, *, mode: str, **extra):
    flow = drawn_revision_by_id(session.revision_id)
    context = stepper_context(
        flow,
        flow.index(session.step_label),
        mode=mode,
        session=session,
        ws_url=f"/ws/live/{session.code}/",
        **extra,
    )
    return render(request, "sipflows/live.html", context)


def _summary_order(item):
    (kind, status), _ = item
    return ("lane", "step", "note").index(kind), (ADDED, CHANGED, MOVED, REMOVED).index(status)


_FIELD_PHRASE = _("flow %(fields)s changed")
_NO_CHANGE = _("no change")


def _counted(singular: str, plural: str):
    return lambda count: ngettext(singular, plural, count)


_COUNT_PHRASES = {
    ("lane", ADDED): _counted("%(count)d lane added", "%(count)d lanes added"),
    ("lane", CHANGED): _counted("%(count)d lane changed", "%(count)d lanes changed"),
    ("lane", MOVED): _counted("%(count)d lane moved", "%(count)d lanes moved"),
    ("lane", REMOVED): _counted("%(count)d lane removed", "%(count)d lanes removed"),
    ("step", ADDED): _counted("%(count)d step added", "%(count)d steps added"),
    ("step", CHANGED): _counted("%(count)d step changed", "%(count)d steps changed"),
    ("step", MOVED): _counted("%(count)d step moved", "%(count)d steps moved"),
    ("step", REMOVED): _counted("%(count)d step removed", "%(count)d steps removed"),
    ("note", ADDED): _counted("%(count)d note added", "%(count)d notes added"),
    ("note", CHANGED): _counted("%(count)d note changed", "%(count)d notes changed"),
    ("note", MOVED): _counted("%(count)d note moved", "%(count)d notes moved"),
    ("note", REMOVED): _counted("%(count)d note removed", "%(count)d notes removed"),
}


def flow_export(request, slug: str, fmt: str):
    """A flow as a file to download: offline page, diagrams or SIPp scenarios; the current
    revision, or ?revision=N."""
    if fmt not in FORMATS:
        raise Http404(f"No export format {fmt}")
    number = request.GET.get("revision", "")
    if number and not number.isdigit():
        return HttpResponseBadRequest("revision must be a revision number, such as 3.")
    if number:
        revision = selectors.revision_get(slug=slug, number=int(number))
    else:
        revision = selectors.revision_current(slug=slug)
    filename, data = export_download(revision.document, fmt, lang=content_language())
    response = HttpResponse(data, content_type=FORMATS[fmt].content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def reference_index(request):
    return render(
        request,
        "sipflows/reference_index.html",
        {"sections": selectors.reference_sections()},
    )


def reference_entry(request, kind: str, name: str):
    entry = entry_for(kind, name)
    if entry is None:
        raise Http404(f"The reference has no {kind} {name}.")
    context = {
        "entry": entry,
        "kind_title": selectors.REFERENCE_KIND_TITLES[kind],
        "uses_by_flow": selectors.reference_uses_by_flow(kind=kind, name=name),
    }
    return render(request, "sipflows/reference_entry.html", context)


def search(request):
    query = request.GET.get("q", "").strip()
    results = selectors.library_search(query=query, language=content_language())
    context = {"search_query": query, "results": results}
    template = "sipflows/search.html"
    if request.htmx:
        template += "#search-results"
    return render(request, template, context)
