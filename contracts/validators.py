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
