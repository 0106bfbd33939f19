from django.contrib import admin

from .models import Flow, Note, Participant, Step


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0


class NoteInline(admin.StackedInline):
    model = Note
    extra = 0
    fk_name = "flow"
    fields = [
        "position",
        "step",
        "kind",
        "where",
        "as_written",
        "correction",
        "discussion",
        "acknowledges",
    ]


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ["slug", "__str__", "source_section", "updated_at"]
    search_fields = ["slug", "title"]
    inlines = [ParticipantInline, NoteInline]


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    list_display = ["flow", "position", "label", "kind", "sender", "receiver"]
    list_filter = ["flow", "kind"]
    search_fields = ["label", "message"]
    raw_id_fields = ["sender", "receiver"]


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["flow", "step", "kind", "where"]
    list_filter = ["kind", "flow"]
