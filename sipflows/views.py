import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from . import selectors, services, throttle
from .forms import JoinForm
from .frames import step_index, stepper_context
from .hub import announce_sync


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


def notes_index(request):
    return render(request, "sipflows/notes.html", {"notes": selectors.notes_all()})


@require_POST
@login_required
def live_start(request, slug: str):
    if not selectors.is_instructor(request.user):
        raise PermissionDenied("Only instructors start live walkthroughs.")
    flow = get_object_or_404(selectors.flows_with_content(), slug=slug)
    session = services.live_session_start(flow=flow, owner=request.user)
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
    # segno's SVG is ours, not user text: safe to put in the page as it is.
    qr = mark_safe(segno.make(join_url, error="m").svg_inline(scale=5))
    return _live_page(request, session, mode="present", join_url=join_url, qr_svg=qr)


@require_POST
@login_required
def live_end(request, code: str):
    session = _owned_session(request, code)
    announce_sync(services.live_session_end(code=session.code))
    return redirect(session.flow.get_absolute_url())


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
