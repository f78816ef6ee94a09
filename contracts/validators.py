"""Validators for contract values."""

from django.core.exceptions import ValidationError

from contracts.error_codes import ContractErrorCode

# ISO 3779 / North American check digit: each character's value times its position's weight,
# summed, modulo 11 ("X" for 10) must equal the 9th character. I, O and Q are never used.
_VIN_VALUES = (
    {str(d): d for d in range(10)}
    | dict(zip("ABCDEFGH", range(1, 9), strict=True))
    | dict(zip("JKLMN", range(1, 6), strict=True))
    | {"P": 7, "R": 9}
    | dict(zip("STUVWXYZ", range(2, 10), strict=True))
)
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit_ok(vin: str) -> bool:
    vin = vin.upper()
    if len(vin) != 17 or any(char not in _VIN_VALUES for char in vin):
        return False
    total = sum(_VIN_VALUES[char] * weight for char, weight in zip(vin, _VIN_WEIGHTS, strict=True))
    expected = "X" if total % 11 == 10 else str(total % 11)
    return vin[8] == expected


def validate_vin(value: str) -> None:
    if value and not vin_check_digit_ok(value):
        raise ValidationError(
            "Enter the vehicle's 17-character VIN as printed (its check digit does not match).",
            code=ContractErrorCode.INVALID_VIN,
        )


def validate_contract_fields(data: dict) -> None:
    """The rules that span fields, each reported on the field a person would correct.

    The model's constraints say the same (so nothing bad is stored even by a buggy caller); this
    is what the dashboard form and the API run first, to answer with a message per field.
    """
    errors = {}
    if not data.get("customer_email") and not data.get("customer_phone"):
        message = "Give the customer's email or mobile number, so the contract can reach them."
        errors["customer_phone"] = ValidationError(message, code=ContractErrorCode.CUSTOMER_UNREACHABLE)
    pickup_from, pickup_to = data.get("pickup_from"), data.get("pickup_to")
    if pickup_from and pickup_to and pickup_to < pickup_from:
        errors["pickup_to"] = ValidationError(
            "The pickup window must end on or after its first day.",
            code=ContractErrorCode.PICKUP_WINDOW_REVERSED,
        )
    if errors:
        raise ValidationError(errors)
