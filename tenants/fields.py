"""A JSON field encrypted at rest with Fernet (connector credentials and other secrets)."""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


class EncryptedJSONField(models.TextField):
    """Stores a JSON document as a Fernet token; the database never sees the plaintext."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return {}
        try:
            return json.loads(fernet().decrypt(value.encode()))
        except InvalidToken as exc:
            raise ValueError(
                "Cannot decrypt a stored secret: INKWELL_FIELD_ENCRYPTION_KEYS does not hold the key it was written with."
            ) from exc

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        if not value:
            return {}
        return json.loads(value)

    def get_prep_value(self, value):
        return fernet().encrypt(json.dumps(value or {}, sort_keys=True).encode()).decode()
