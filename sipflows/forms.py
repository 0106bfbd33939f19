import re
from dataclasses import dataclass, field, fields
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import services
from .models import LiveSession
from .services import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH
from .sip.flowdoc import message_for_people
from .templatetags.sipflows import tr


class JoinForm(forms.Form):
    code = forms.CharField(
        label=_("Join code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split()).upper()
        if len(code) != JOIN_CODE_LENGTH or not set(code) <= set(JOIN_CODE_ALPHABET):
            raise forms.ValidationError(
                _("A join code is %(length)d letters and digits, as shown on the screen."),
                params={"length": JOIN_CODE_LENGTH},
            )
        if not LiveSession.objects.filter(code=code, ended_at__isnull=True).exists():
            raise forms.ValidationError(
                _("No live walkthrough is running with this code."), code="unknown"
            )
        return code


def _revision_field(label, numbers: list[int]) -> forms.TypedChoiceField:
    """A choice among a flow's revision numbers, newest first."""
    return forms.TypedChoiceField(
        label=label, choices=[(n, n) for n in sorted(numbers, reverse=True)], coerce=int
    )


class DiffForm(forms.Form):
    """Which two revisions to compare (?from=N&to=M; "from" is a Python keyword)."""

    def __init__(self, *args, numbers: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = _revision_field(_("From revision"), numbers)
        self.fields["to"] = _revision_field(_("To revision"), numbers)


class RevertForm(forms.Form):
    """Which revision to bring back, and the revision the editor was looking at."""

    base_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, numbers: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"] = _revision_field(_("Revision"), numbers)


class NotesFilterForm(forms.Form):
    """The /notes/ filters; anything it does not know shows every note."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[
            ("", _("All kinds")),
            ("rfc-defect", _("RFC defects")),
            ("official-erratum", _("Official errata")),
            ("article-correction", _("Article corrections")),
            ("discussion", _("Discussions")),
        ],
    )
    flow = forms.ChoiceField(label=_("Flow"), required=False)

    def __init__(self, *args, flows, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flow"].choices = [("", _("All flows"))] + [
            (flow.slug, f"§{flow.source_section} {tr(flow.title)}") for flow in flows
        ]

    def chosen(self) -> tuple[str | None, str | None]:
        """(kind, flow slug) to show, None for all."""
        if not self.is_valid():
            return None, None
        return self.cleaned_data["kind"] or None, self.cleaned_data["flow"] or None


# --- The editor's draft --------------------------------------------------------------------
#
# The editor keeps the whole flow in one form: every field of every lane, step and note is an
# input posted together (lane-0-name, step-3-message, ...), with the revision it started from.
# Whatever the editor does (a check while typing, adding a step, a refused save) the page is
# drawn again from what was posted, so nothing typed is lost. Fields a step's kind does not use
# stay in the form (hidden) until the draft is saved.


@dataclass
class LaneDraft:
    key: str = ""
    name: str = ""
    role: str = "ua"


@dataclass
class StepDraft:
    label: str = ""
    kind: str = "message"
    sender: str = ""
    receiver: str = ""
    media: str = "two-way"
    text_en: str = ""
    text_zh: str = ""
    focus: str = ""  # one header name or SDP line per line
    message: str = ""
    annotation_en: str = ""
    annotation_zh: str = ""


@dataclass
class NoteDraft:
    key: str = ""
    step: str = ""
    kind: str = "discussion"
    where: str = ""
    as_written: str = ""
    correction: str = ""
    discussion_en: str = ""
    discussion_zh: str = ""
    acknowledges: str = ""  # checker rule names, separated by spaces or commas


FLOW_FIELDS = (
    "slug",
    "title_en",
    "title_zh",
    "summary_en",
    "summary_zh",
    "source_document",
    "source_section",
)
# Rows beyond these counts are not read from a post (the limits refuse such flows anyway).
MAX_DRAFT_LANES = 100
MAX_DRAFT_STEPS = 4 * services.MAX_STEPS
MAX_DRAFT_NOTES = 1000


class EditRefused(ValueError):
    """An editing action that cannot be done; str() says why. The draft is unchanged."""


@dataclass
class FlowDraft:
    slug: str = ""
    title_en: str = ""
    title_zh: str = ""
    summary_en: str = ""
    summary_zh: str = ""
    source_document: str = ""
    source_section: str = ""
    lanes: list[LaneDraft] = field(default_factory=list)
    steps: list[StepDraft] = field(default_factory=list)
    notes: list[NoteDraft] = field(default_factory=list)

    @classmethod
    def blank(cls) -> "FlowDraft":
        """A new flow: two user agents and one request to start from."""
        return cls(
            lanes=[LaneDraft("alice", "Alice"), LaneDraft("bob", "Bob")],
            steps=[StepDraft(label="F1", sender="alice", receiver="bob")],
        )

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "FlowDraft":
        title, summary = document.get("title", {}), document.get("summary", {})
        source = document.get("source", {})
        return cls(
            slug=document["slug"],
            title_en=title.get("en", ""),
            title_zh=title.get("zh", ""),
            summary_en=summary.get("en", ""),
            summary_zh=summary.get("zh", ""),
            source_document=source.get("document", ""),
            source_section=source.get("section", ""),
            lanes=[LaneDraft(p["key"], p["name"], p["role"]) for p in document["participants"]],
            steps=[_step_draft(s) for s in document["steps"]],
            notes=[_note_draft(n) for n in document.get("notes", [])],
        )

    @classmethod
    def from_post(cls, data) -> "FlowDraft":
        """The draft as posted. A lane whose key was changed takes its steps with it."""
        draft = cls(**{name: data.get(name, "") for name in FLOW_FIELDS})
        draft.lanes = _rows(data, "lane", LaneDraft, MAX_DRAFT_LANES)
        draft.steps = _rows(data, "step", StepDraft, MAX_DRAFT_STEPS)
        draft.notes = _rows(data, "note", NoteDraft, MAX_DRAFT_NOTES)
        renamed = {
            data.get(f"lane-{i}-was", lane.key): lane.key for i, lane in enumerate(draft.lanes)
        }
        for step in draft.steps:
            step.sender = renamed.get(step.sender, step.sender)
            step.receiver = renamed.get(step.receiver, step.receiver)
        return draft

    def to_raw(self) -> dict[str, Any]:
        """The draft as a flow document, not yet validated (sip.flowdoc does that)."""
        raw: dict[str, Any] = {
            "slug": self.slug.strip(),
            "title": _bilingual(self.title_en, self.title_zh),
        }
        source = {"document": self.source_document.strip(), "section": self.source_section.strip()}
        if any(source.values()):
            raw["source"] = {k: v for k, v in source.items() if v}
        if self.summary_en.strip() or self.summary_zh.strip():
            raw["summary"] = _bilingual(self.summary_en, self.summary_zh)
        raw["participants"] = [
            {"key": lane.key.strip(), "name": lane.name.strip(), "role": lane.role}
            for lane in self.lanes
        ]
        raw["steps"] = [_step_raw(step) for step in self.steps]
        if self.notes:
            raw["notes"] = [_note_raw(note) for note in self.notes]
        return raw

    # Editing actions: each changes the draft or raises EditRefused, saying why.

    def lane_add(self) -> None:
        taken = {lane.key for lane in self.lanes}
        number = next(n for n in range(1, len(taken) + 2) if f"lane-{n}" not in taken)
        self.lanes.append(LaneDraft(f"lane-{number}", f"Lane {number}"))

    def lane_remove(self, index: int) -> None:
        key = self.lanes[index].key
        users = [s.label or f"#{n + 1}" for n, s in enumerate(self.steps) if key in _ends(s)]
        if users:
            raise EditRefused(
                _("The lane %(lane)s is used by %(steps)s: change those steps first.")
                % {"lane": self.lanes[index].name or key, "steps": ", ".join(users)}
            )
        del self.lanes[index]

    def step_insert(self, index: int) -> None:
        """A new message step before step `index` (at the end when index is the count)."""
        taken = {s.label for s in self.steps}
        number = next(n for n in range(1, len(taken) + 2) if f"F{n}" not in taken)
        lanes = [lane.key for lane in self.lanes] + ["", ""]
        self.steps.insert(index, StepDraft(label=f"F{number}", sender=lanes[0], receiver=lanes[1]))

    def note_add(self) -> None:
        taken = {n.key for n in self.notes}
        number = next(n for n in range(1, len(taken) + 2) if f"N{n}" not in taken)
        self.notes.append(NoteDraft(key=f"N{number}"))

    def apply(self, op: str) -> str | None:
        """Do the editing action named `op` ("step-insert:3", "lane-up:1", ...); returns the
        id of the element to focus afterwards."""
        action, _, argument = op.partition(":")
        index = int(argument) if argument.isdigit() else -1
        rows = {"lane": self.lanes, "step": self.steps, "note": self.notes}
        kind, _, verb = action.partition("-")
        if kind not in rows:
            raise EditRefused(_("The editor does not know this action."))
        items = rows[kind]
        if verb == "add" and kind == "lane":
            self.lane_add()
            return f"lane-{len(self.lanes) - 1}-key"
        if verb == "add" and kind == "note":
            self.note_add()
            return f"note-{len(self.notes) - 1}-kind"
        if verb == "insert" and kind == "step" and 0 <= index <= len(items):
            self.step_insert(index)
            return f"step-{index}-label"
        if not 0 <= index < len(items):
            raise EditRefused(_("That row is not in the draft any more."))
        if verb == "remove":
            if kind == "lane":
                self.lane_remove(index)
            else:
                del items[index]
            return f"{kind}-add" if kind != "step" else "step-insert-end"
        if verb in ("up", "down"):
            other = index - 1 if verb == "up" else index + 1
            if 0 <= other < len(items):
                items[index], items[other] = items[other], items[index]
                return f"{kind}-{other}-{verb}"
            return f"{kind}-{index}-{verb}"
        raise EditRefused(_("The editor does not know this action."))


def _rows(data, prefix: str, row_type, most: int) -> list:
    try:
        count = min(int(data.get(f"{prefix}s", 0)), most)
    except ValueError:
        count = 0
    return [
        row_type(**{f.name: data.get(f"{prefix}-{i}-{f.name}", "") for f in fields(row_type)})
        for i in range(max(count, 0))
    ]


def _ends(step: StepDraft) -> set[str]:
    return {step.sender, step.receiver} - {""}


def _bilingual(en: str, zh: str) -> dict[str, str]:
    pairs = (("en", en), ("zh", zh))
    return {lang: text.replace("\r\n", "\n").strip() for lang, text in pairs if text.strip()}


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,]+", text) if word]


def _step_draft(step: dict[str, Any]) -> StepDraft:
    text, annotation = step.get("text", {}), step.get("annotation", {})
    return StepDraft(
        label=step["label"],
        kind=step["kind"],
        sender=step.get("from", ""),
        receiver=step.get("to", ""),
        media=step.get("media", "two-way"),
        text_en=text.get("en", ""),
        text_zh=text.get("zh", ""),
        focus="\n".join(step.get("focus", [])),
        message=message_for_people(step["message"]) if step.get("message") else "",
        annotation_en=annotation.get("en", ""),
        annotation_zh=annotation.get("zh", ""),
    )


def _step_raw(step: StepDraft) -> dict[str, Any]:
    raw: dict[str, Any] = {"kind": step.kind}
    if step.label.strip():
        raw["label"] = step.label.strip()
    if step.kind in ("message", "media") or step.sender or step.receiver:
        raw["from"], raw["to"] = step.sender, step.receiver
    if step.kind == "media":
        raw["media"] = step.media
    if step.kind == "message":
        raw["message"] = step.message
    else:
        raw["text"] = _bilingual(step.text_en, step.text_zh)
    focus = [line.strip() for line in step.focus.splitlines() if line.strip()]
    if focus:
        raw["focus"] = focus
    annotation = _bilingual(step.annotation_en, step.annotation_zh)
    if annotation:
        raw["annotation"] = annotation
    return raw


def _note_draft(note: dict[str, Any]) -> NoteDraft:
    return NoteDraft(
        key=note["key"],
        step=note.get("step", ""),
        kind=note["kind"],
        where=note.get("where", ""),
        as_written=note.get("as_written", ""),
        correction=note.get("correction", ""),
        discussion_en=note["discussion"].get("en", ""),
        discussion_zh=note["discussion"].get("zh", ""),
        acknowledges=" ".join(note.get("acknowledges", [])),
    )


def _note_raw(note: NoteDraft) -> dict[str, Any]:
    raw: dict[str, Any] = {"key": note.key.strip(), "kind": note.kind}
    if note.step:
        raw["step"] = note.step
    for name in ("where", "as_written", "correction"):
        value = getattr(note, name)
        if value.strip():
            raw[name] = value.replace("\r\n", "\n")
    raw["discussion"] = _bilingual(note.discussion_en, note.discussion_zh)
    if _words(note.acknowledges):
        raw["acknowledges"] = _words(note.acknowledges)
    return raw


class SaveForm(forms.Form):
    """What a save says about itself, beside the draft."""

    base_version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    change_message = forms.CharField(
        label=_("What you changed"),
        max_length=200,
        error_messages={"required": _("Say in a few words what you changed.")},
    )


class DeleteForm(forms.Form):
    base_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    change_message = forms.CharField(label=_("Why"), max_length=200, required=False)


class ExportForm(forms.Form):
    """Which revision to download, and as what."""

    format = forms.ChoiceField(
        label=_("Format"), choices=[("yaml", "YAML"), ("json", "JSON")], initial="yaml"
    )

    def __init__(self, *args, numbers: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["revision"] = _revision_field(_("Revision"), numbers)
        self.fields["revision"].required = False


# Uploads are read into memory whole: a flow document is at most 2 MB, an RFC a few hundred KB.
MAX_UPLOAD_BYTES = 4 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)d bytes; an upload may be at most %(most)d bytes."),
                params={"size": upload.size, "most": MAX_UPLOAD_BYTES},
            )
        return upload.read()
