import ipaddress
from urllib.parse import urlsplit

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import JoinForm, NotesFilterForm
from .frames import step_index, stepper_context
from .hub import announce_sync
from .sip.highlight import highlight_message


def home(request):
    return render(
        request,
        "sipflows/home.html",
        {"groups": selectors.catalog_groups(), "other_flows": selectors.other_flows()},
    )


def flow_page(request, slug: str, label: str | None = None):
    """The flow overview (no label) or one step; htmx requests get the step's frame."""
    flow = selectors.flow_get(slug=slug)
    index = step_index(list(flow.steps.all()), label)
    template = "sipflows/flow.html"
    if request.htmx:
        template += "#step-frame"
    context = stepper_context(
        flow,
        index,
        mode="solo",
        ws_url=f"/ws/flows/{slug}/",
        can_teach=selectors.is_instructor(request.user),
    )
    return render(request, template, context)


def flow_all(request, slug: str):
    """Every step of a flow on one page, annotation and message: for reading and printing."""
    flow = selectors.flow_get(slug=slug)
    context = stepper_context(flow, None, mode="solo", ws_url="")
    # Pygments output: the formatter escapes every character of each message.
    context["step_messages"] = [
        (step, mark_safe(highlight_message(step.message, step.focus)) if step.message else "")
        for step in context["steps"]
    ]
    return render(request, "sipflows/flow_all.html", context)


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
    flow = get_object_or_404(selectors.flows_with_content(), slug=slug)
    session = services.live_session_start(flow=flow, owner=request.user)
    return redirect("live_present", code=session.code)


def live_join(request):
    form = JoinForm(request.GET or None)
    if form.is_valid():
        return redirect("live_follow", code=form.cleaned_data["code"])
    return render(request, "sipflows/live_join.html", {"form": form})


def live_follow(request, code: str):
    session = selectors.live_session_get(code=code)
    return _live_page(request, session, mode="follow")


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


def _owned_session(request, code: str):
    session = selectors.live_session_get(code=code)
    if session.owner_id != request.user.pk:
        raise PermissionDenied("This walkthrough belongs to another instructor.")
    return session


def _live_page(request, session, *, mode: str, **extra):
    flow = selectors.flow_get(slug=session.flow.slug)
    context = stepper_context(
        flow,
        session.step_index,
        mode=mode,
        session=session,
        ws_url=f"/ws/live/{session.code}/",
        **extra,
    )
    return render(request, "sipflows/live.html", context)
