"""The admin shows the library; flow content changes only through revisions (services.flow_save).

Lanes, steps and notes are the projection of each flow's current revision, so they are read-only
here; a flow links to its history, where any revision can be compared and restored. Deleting a
flow here records the deletion as a revision, so it stays restorable.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Flow, FlowRevision, Note, Participant, Step


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ParticipantInline(ReadOnlyInline):
    model = Participant
    fields = ["position", "key", "name", "role"]


class StepInline(ReadOnlyInline):
    model = Step
    fields = ["position", "label", "kind", "sender", "receiver"]


class NoteInline(ReadOnlyInline):
    model = Note
    fk_name = "flow"
    fields = ["position", "key", "step", "kind", "where"]


class RevisionInline(ReadOnlyInline):
    model = FlowRevision
    fields = ["number", "created_at", "author", "message", "deletes"]
    ordering = ["-number"]


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ["slug", "__str__", "source_section", "version", "is_deleted", "history"]
    list_filter = ["is_deleted"]
    search_fields = ["slug", "title"]
    readonly_fields = ["history", "slug", "title", "summary", "version", "is_deleted"]
    fields = readonly_fields
    inlines = [ParticipantInline, StepInline, NoteInline, RevisionInline]

    @admin.display(description=_("History"))
    def history(self, flow: Flow) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("flow_history", args=[flow.slug]), _("History")
        )

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, flow: Flow) -> None:
        if not flow.is_deleted:
            services.flow_delete(flow=flow, base_version=flow.version, author=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for flow in queryset:
            self.delete_model(request, flow)


@admin.register(FlowRevision)
class FlowRevisionAdmin(admin.ModelAdmin):
    list_display = ["slug", "number", "created_at", "author", "message", "deletes"]
    list_filter = ["deletes"]
    search_fields = ["slug", "message"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
