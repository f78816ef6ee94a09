"""{{ number|phone }}: a stored E.164 number as people write it — "(416) 555-0100" for North
American numbers, "+39 06 1234 5678" for the rest. Links keep the E.164 form (tel:+14165550100)."""

import phonenumbers
from django import template

register = template.Library()


@register.filter
def phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value or "", None)
    except phonenumbers.NumberParseException:
        return value
    if number.country_code == 1:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
