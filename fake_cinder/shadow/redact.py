"""What never reaches a report or a recording: tokens, passwords, connection secrets."""

from __future__ import annotations

from typing import Any

REDACTED = "<redacted>"
# Headers that carry credentials (lower case).
SECRET_HEADERS = {"x-auth-token", "x-subject-token", "x-service-token", "authorization",
                  "cookie", "set-cookie", "x-fake-control-token"}
# Body keys whose values are secrets wherever they appear: CHAP credentials of iSCSI
# connection_info, a transfer's auth_key, passwords of Keystone bodies, tokens.
SECRET_KEYS = {"auth_password", "auth_username", "discovery_auth_password",
               "discovery_auth_username", "auth_key", "password", "secret", "token",
               "access_token", "encryption_key", "key"}


def headers(values: dict[str, str]) -> dict[str, str]:
    return {name: (REDACTED if name.lower() in SECRET_HEADERS else value)
            for name, value in values.items()}


def body(value: Any, secrets: tuple[str, ...] = ()) -> Any:
    """``value`` with every secret key's value replaced; ``secrets``: strings (tokens seen)
    replaced wherever else they occur."""
    if isinstance(value, dict):
        return {key: (REDACTED if key.lower() in SECRET_KEYS and value[key] is not None
                      and not isinstance(value[key], (dict, list))
                      else body(value[key], secrets)) for key in value}
    if isinstance(value, list):
        return [body(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret and secret in value:
                value = value.replace(secret, REDACTED)
    return value
