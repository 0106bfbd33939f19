"""The library: flows, their lanes, their steps and the notes beside the RFC text.

Bilingual texts are stored as {"en": ..., "zh": ...} so they map one to one onto the flow document.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

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

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.title.get("en", self.slug)

    def get_absolute_url(self):
        return reverse("flow", args=[self.slug])


class FlowPart(models.Model):
    """A lane, step or note: saving or deleting one makes a new version of its flow, so what
    is kept per version (checker findings, the ladder's layout) is computed again."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._touch_flow()

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        self._touch_flow()
        return deleted

    def _touch_flow(self) -> None:
        Flow.objects.filter(pk=self.flow_id).update(updated_at=timezone.now())


class Participant(FlowPart):
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


class Step(FlowPart):
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


class Note(FlowPart):
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
    # Position in the flow's steps; None is the overview, before the first step.
    step_index = models.PositiveIntegerField(null=True, blank=True)
    # Grows with every move, so a follower can drop a frame older than one it has shown.
    seq = models.PositiveIntegerField(default=0)
    viewers = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.code} ({self.flow.slug})"

    @property
    def is_live(self) -> bool:
        return self.ended_at is None

    def get_absolute_url(self):
        return reverse("live_follow", args=[self.code])
