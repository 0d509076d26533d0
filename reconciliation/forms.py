"""Forms of the finance pages."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings

from reconciliation.models import DEDUCTION_TYPES, GLAccount, HeaderField, LineType, RuleField


class UploadForm(forms.Form):
    file = forms.FileField(help_text="Vendor Central payment export (CSV or XLSX) or an EDI 820.")
    format = forms.ChoiceField(
        choices=[("auto", "Detect"), ("csv", "CSV"), ("xlsx", "XLSX"), ("edi820", "EDI 820")], initial="auto"
    )
    revision = forms.BooleanField(
        required=False, help_text="Replace payments already imported (nothing posted yet)."
    )

    def clean_file(self):  # noqa: ANN201
        upload = self.cleaned_data["file"]
        if upload.size > settings.REMITTANCE_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {settings.REMITTANCE_MAX_BYTES:,}."
            )
        return upload


class MappingForm(forms.Form):
    line_type = forms.ChoiceField(
        choices=[(v, LineType(v).label) for v in LineType.values if v in DEDUCTION_TYPES]
    )
    adjustment_code = forms.CharField(required=False, max_length=10, help_text="Blank = any code.")
    gl_account = forms.ModelChoiceField(queryset=GLAccount.objects.filter(active=True))
    effective_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(required=False, max_length=200)
    last = forms.IntegerField(
        min_value=1, max_value=500, initial=20, label="Dry run over the last N remittances"
    )


class HeaderMappingForm(forms.Form):
    header = forms.CharField(max_length=120)
    field = forms.ChoiceField(choices=HeaderField.choices)


class RuleForm(forms.Form):
    order = forms.IntegerField(min_value=1)
    field = forms.ChoiceField(choices=RuleField.choices)
    pattern = forms.CharField(max_length=200, required=False)
    line_type = forms.ChoiceField(choices=LineType.choices)
    note = forms.CharField(max_length=200, required=False)

    def clean(self):  # noqa: ANN201
        data = super().clean()
        pattern = data.get("pattern", "")
        if data.get("field") != RuleField.KNOWN_INVOICE:
            if not pattern:
                self.add_error("pattern", "A pattern is needed for this field.")
            else:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    self.add_error("pattern", f"Not a valid regular expression: {exc}")
        return data
