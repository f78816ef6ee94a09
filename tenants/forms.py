import zoneinfo
from functools import cache

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from tenants.models import AGENT_THRESHOLDS, PROFILE_FIELDS, Membership, Plan, TenantConfig
from tenants.services.config import EDITABLE_FIELDS
from tenants.validators import validate_no_control_characters


class EmailForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)


class PhoneForm(forms.Form):
    phone = forms.CharField(label="Mobile number", max_length=32)  # parsed by signin_code_request


class CodeForm(forms.Form):
    code = forms.CharField(label="6-digit code", max_length=12)


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class TenantConfigForm(forms.ModelForm):
    """The owner-editable part of a tenant's configuration (also used by the staff admin)."""

    # Picked from the list, never typed; the model's validator still guards every other way in.
    timezone = forms.ChoiceField(label="Timezone", choices=timezone_choices)
    # The owner's settings page leaves the agent thresholds out while agent access is off.
    hide_agent_thresholds = True

    class Meta:
        model = TenantConfig
        fields = EDITABLE_FIELDS
        widgets = {
            "primary_color": forms.TextInput(attrs={"type": "color"}),
            "accent_color": forms.TextInput(attrs={"type": "color"}),
            **{field: forms.Textarea(attrs={"rows": 4}) for field in PROFILE_FIELDS},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Also on the form fields, so the form's own checks (a valid email) don't hide this error.
        for name, field in self.fields.items():
            # The business profile is written in boxes of several lines (its own validator).
            if isinstance(field, forms.CharField) and name not in PROFILE_FIELDS:
                field.validators.append(validate_no_control_characters)
        if self.hide_agent_thresholds and self.instance.pk and not self.instance.feature_agents:
            # No agent access, no agent settings: left out, so saving the form keeps what was set.
            for name in AGENT_THRESHOLDS:
                self.fields.pop(name, None)
        # Each threshold left empty follows the deployment's setting: shown as the placeholder and said
        # in the help, read when the form is made (the settings are the environment's).
        for name, (setting, low, high) in AGENT_THRESHOLDS.items():
            if name in self.fields:
                default = getattr(settings, setting)
                field = self.fields[name]
                field.widget.attrs.update(placeholder=str(default), min=low, max=high)
                field.help_text = field.help_text.replace(
                    "empty: the default.", f"empty: the default, {default} minutes."
                )

    def general_fields(self):
        """The form's fields but the agent thresholds (shown in their own fieldset)."""
        return [field for field in self if field.name not in AGENT_THRESHOLDS]

    def agent_fields(self):
        return [field for field in self if field.name in AGENT_THRESHOLDS]


class ProvisionForm(forms.Form):
    """Staff form in the admin; validation of the request itself happens in tenant_provision."""

    name = forms.CharField(max_length=120)
    subdomain = forms.CharField(max_length=40)
    owner_email = forms.EmailField()
    owner_phone = forms.CharField(max_length=32, required=False)
    owner_name = forms.CharField(max_length=150, required=False)
    plan = forms.ChoiceField(choices=[("", "—")] + Plan.choices, required=False)

    def apply_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class ApiKeyForm(forms.Form):
    label = forms.CharField(
        label="Name of the new key",
        max_length=80,
        validators=[validate_no_control_characters],
        help_text="Who or what will use it, e.g. “Website quote form”.",
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email of the person to invite")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class TenantConfigAdminForm(TenantConfigForm):
    """The staff admin's: every field always (its fieldsets name each one, and its save passes every
    EDITABLE_FIELDS value on), the thresholds included when agent access is off."""

    hide_agent_thresholds = False
