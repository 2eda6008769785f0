"""Secrets at rest: a model field that stores its text Fernet-encrypted (SEC-012; decision 0010).

The key comes from `settings.FIELD_ENCRYPTION_KEYS` (CARELOOP_FIELD_KEY, comma-separated,
newest first): the first key encrypts, every key decrypts, so a key is rotated by putting the
new one first and re-saving the rows (`careloop` never needs the old key again after that).
In Python the field's value is the plain text; in the database it is a Fernet token, which
cannot be searched or compared — fields of this kind are for secrets read by primary key.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

# Every Fernet token starts with the version byte 0x80, "gAAAAA" in URL-safe base64.
TOKEN_PREFIX = "gAAAAA"


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty (set CARELOOP_FIELD_KEY)")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text of a token; `ImproperlyConfigured` when no configured key opens it."""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "an encrypted field cannot be decrypted with CARELOOP_FIELD_KEY: wrong or rotated-out key"
        ) from exc


def is_encrypted(stored: str) -> bool:
    return stored.startswith(TOKEN_PREFIX)


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token. Not for lookups: equal values encrypt differently."""

    description = "Text encrypted at rest (Fernet)"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        return None if value is None else encrypt(value)
