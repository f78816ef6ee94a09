"""What every API input serializer shares: an unknown key is an error, not silently dropped."""

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from tenants.error_codes import TenantErrorCode


class StrictInputMixin:
    """DRF drops unknown keys silently; a client sending a typo or a field it may not set (an Ads id,
    a status) must hear no, under that key."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {
                        key: [
                            ErrorDetail("This field can't be set.", code=TenantErrorCode.FIELD_NOT_EDITABLE)
                        ]
                        for key in unknown
                    }
                )
        return super().to_internal_value(data)


_TEXT_PARAM = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=True)


def text_param(request, name: str) -> str:
    """A free-text query parameter (a search), checked like any text field: at most 200 characters
    and no NUL character (PostgreSQL can't compare text with one). 400 under `name` otherwise."""
    value = request.query_params.get(name, "")
    try:
        return _TEXT_PARAM.run_validation(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None
