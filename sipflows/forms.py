from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LiveSession
from .services import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH


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
