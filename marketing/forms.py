from __future__ import annotations

from django import forms

from marketing.models import Lead, Page


class LeadFilterForm(forms.Form):
    q = forms.CharField(
        label="Search", required=False, max_length=100, widget=forms.TextInput(attrs={"type": "search"})
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Lead.Status.choices], required=False)
    source = forms.ChoiceField(choices=[("", "Any source"), *Lead.Source.choices], required=False)
    # How the owner page shows them: a paginated table (the default) or the pipeline board.
    view = forms.ChoiceField(
        choices=[("table", "Table"), ("board", "Pipeline board")], required=False, widget=forms.HiddenInput
    )


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


class QuoteForm(forms.Form):
    """The public quote form on the tenant's home page. Its hidden fields carry where the visitor
    came from and the spam checks' honeypot and "shown at" stamp; lead_create validates the rest."""

    name = forms.CharField(max_length=150)
    phone = forms.CharField(max_length=30, required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    email = forms.EmailField(required=False)
    service_type = forms.ChoiceField(
        label="Service", choices=[("", "Choose a service"), *Lead.ServiceType.choices], required=False
    )
    origin = forms.CharField(label="From", max_length=200, required=False)
    destination = forms.CharField(label="To", max_length=200, required=False)
    preferred_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    vehicle = forms.CharField(max_length=120, required=False)
    message = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    consent = forms.BooleanField(label="You may contact me about this request")
    utm_source = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    utm_medium = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    utm_campaign = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    landing_page = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)
    referrer = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)

    @staticmethod
    def visit(request) -> dict[str, str]:
        """Where this visit came from, for the hidden fields: UTM tags, the page's address, referrer."""
        values = {key: request.GET.get(key, "")[:100] for key in ("utm_source", "utm_medium", "utm_campaign")}
        values["landing_page"] = request.get_full_path()[:500]
        values["referrer"] = request.META.get("HTTP_REFERER", "")[:500]
        return values

    @classmethod
    def shown(cls, request) -> QuoteForm:
        """A blank form for `request`'s page, the visit in its hidden fields."""
        return cls(initial=cls.visit(request))


class PageForm(forms.ModelForm):
    """A landing page's fields, for the owner's editor and the staff admin."""

    class Meta:
        model = Page
        fields = [
            "title",
            "slug",
            "body",
            "seo_title",
            "seo_description",
            "social_image",
            "noindex",
            "show_quote_form",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 22, "class": "markdown"})}
        labels = {"slug": "Address", "body": "Text"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.first_published_at:
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = "A published page keeps its address."

    def page_data(self) -> dict:
        data = {
            name: self.cleaned_data[name] for name in self.Meta.fields if name not in ("slug", "social_image")
        }
        if not self.fields["slug"].disabled:
            data["slug"] = self.cleaned_data["slug"]
        if "social_image" in self.changed_data:
            data["social_image"] = self.cleaned_data["social_image"] or ""
        return data

    def add_service_errors(self, exc) -> None:
        """Show a page service's ValidationError on the fields it names (the rest above the form)."""
        for field, errors in exc.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)

    def _post_clean(self):
        # The services validate and save the page (slug rules, revisions); the form only parses input.
        pass
