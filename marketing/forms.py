from django import forms

from marketing.models import Lead


class LeadFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    status = forms.ChoiceField(choices=[("", "Any status"), *Lead.Status.choices], required=False)
    source = forms.ChoiceField(choices=[("", "Any source"), *Lead.Source.choices], required=False)


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Lead.Status.choices)
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class LeadImportForm(forms.Form):
    file = forms.FileField(label="CSV file")

    MAX_BYTES = 2 * 1024 * 1024

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file must be 2 MB or smaller.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("Save the file as CSV with UTF-8 encoding.") from None
