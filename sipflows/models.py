"""The library: flows, their revisions, and the lanes, steps and notes of each current revision.

A flow's saved states are FlowRevisions, each holding the whole flow document; pages, frames,
diffs and exports are drawn from a revision's document. Participant, Step and Note rows are a
projection of the current revision for lists, search and the admin, written only by the
service that saves revisions (services.flow_save). Bilingual texts are {"en": ..., "zh": ...}
as in the flow document.
"""

import json

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from .sip.flowdoc import MEDIA_KINDS, NOTE_KINDS, ROLES, STEP_KINDS


def _choices(values):
    return [(v, v) for v in values]


class Flow(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    title = models.JSONField(default=dict)
    summary = models.JSONField(default=dict, blank=True)
    source_document = models.CharField(max_length=100, blank=True)
    source_section = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The number of the current revision (0 only while the first one is being written).
    version = models.PositiveIntegerField(default=0)
    # A deleted flow is a state in its history: its revisions stay, its pages are gone.
    is_deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.title.get("en", self.slug)

    def get_absolute_url(self):
        return reverse("flow", args=[self.slug])


class FlowRevision(models.Model):
    """One saved state of a flow: the whole flow document, numbered 1, 2, ... per flow."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    # The flow document as JSON text, kept as saved (a JSON column may reorder keys).
    document_json = models.TextField()
    # The slug the flow had in this state, so a renamed flow is still known by its old name.
    slug = models.SlugField(max_length=64, db_index=True)
    # Empty for imports and migrations.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    message = models.CharField(max_length=200, blank=True)
    # This state deleted the flow (its document is the one it had when deleted).
    deletes = models.BooleanField(default=False)

    class Meta:
        ordering = ["flow", "number"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "number"], name="unique_revision_number"),
        ]

    def __str__(self):
        return f"{self.slug} r{self.number}"

    def get_absolute_url(self):
        return reverse("revision", args=[self.flow.slug, self.number])

    @cached_property
    def document(self) -> dict:
        return json.loads(self.document_json)


class Participant(models.Model):
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="participants")
    position = models.PositiveIntegerField()
    key = models.CharField(max_length=32)
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=10, choices=_choices(ROLES), default="ua")

    class Meta:
        ordering = ["flow", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "key"], name="unique_participant_key"),
        ]

    def __str__(self):
        return self.name


class Step(models.Model):
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    label = models.CharField(max_length=16)
    kind = models.CharField(max_length=10, choices=_choices(STEP_KINDS))
    sender = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    receiver = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    media = models.CharField(max_length=10, choices=_choices(MEDIA_KINDS), blank=True)
    text = models.JSONField(default=dict, blank=True)
    focus = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True, help_text="The full SIP message, CRLF line endings.")
    annotation = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["flow", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "label"], name="unique_step_label"),
        ]

    def __str__(self):
        return f"{self.flow.slug} {self.label}"

    def get_absolute_url(self):
        return reverse("step", args=[self.flow.slug, self.label])


class Note(models.Model):
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="notes")
    step = models.ForeignKey(
        Step, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    position = models.PositiveIntegerField()
    key = models.CharField(max_length=16)
    kind = models.CharField(max_length=20, choices=_choices(NOTE_KINDS))
    where = models.CharField(max_length=200, blank=True)
    as_written = models.TextField(blank=True)
    correction = models.TextField(blank=True)
    discussion = models.JSONField(default=dict)
    # Checker rules whose findings on this step the note explains (so they are not reported).
    acknowledges = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["flow", "position"]

    def __str__(self):
        return f"{self.flow.slug} {self.kind} {self.where}"


class LiveSession(models.Model):
    """An instructor-led walkthrough: the instructor's step is the class's step."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="live_sessions")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_sessions"
    )
    code = models.CharField(max_length=8, unique=True)
    # The class sees this revision until the instructor updates it, whatever is saved meanwhile.
    revision = models.ForeignKey(FlowRevision, on_delete=models.RESTRICT, related_name="+")
    # The step the class is on, by label; empty is the overview, before the first step.
    step_label = models.CharField(max_length=16, blank=True)
    # Grows with every move, so a follower can drop a frame older than one it has shown.
    seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the instructor last moved the class; long idle walkthroughs end by themselves.
    active_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.code} ({self.flow.slug})"

    @property
    def is_live(self) -> bool:
        return self.ended_at is None

    def get_absolute_url(self):
        return reverse("live_follow", args=[self.code])


class LivePresence(models.Model):
    """How many students one server process holds for a walkthrough, as of its last beat.

    Each process writes its own row every few seconds; rows not written lately are ignored,
    so a process that died, or lost its sockets, stops counting within seconds.
    """

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="presence")
    process = models.CharField(max_length=64)
    watching = models.PositiveIntegerField(default=0)
    exploring = models.PositiveIntegerField(default=0)
    beat_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "process"], name="unique_presence"),
        ]
