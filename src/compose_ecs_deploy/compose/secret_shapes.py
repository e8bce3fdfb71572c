"""Does an environment entry hold a secret? By the words of its name and the shape of its value.

A substring match on the name flagged AUTHENTIK_POSTGRESQL__HOST (AUTH), API_KEY_RATE_LIMIT
(KEY), ALLOW_EMPTY_PASSWORD and RESET_PASSWORD_TOKEN_EXPIRY_HOURS (PASSWORD), NEXTAUTH_URL:
with `--strict` that failed real deploys, and a warning that is usually wrong teaches users to
ignore warnings. So a name is split into words (at `_`, `-`, `.` and case changes), and it
names a secret when its last word is one a secret is called by (PASSWORD, TOKEN, SECRET,
KEY, ...), maybe followed by a word for the value's encoding (SECRET_KEY_BASE,
PRIVATE_KEY_PEM), and it is not a switch about one (ALLOW_..., ENABLE_...) nor a public key.
A value holds a secret whatever its name when it carries a credential: a URL with a password
(`postgres://app:hunter2@db/app`), a private key block, a bearer token. Flags and file paths
(`/run/secrets/db`, `/certs/redis.key`) are not secrets.
"""

from __future__ import annotations

import re

_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
SECRET_WORDS = frozenset(
    {
        "PASSWORD", "PASSWORDS", "PASSWD", "PASS", "PWD", "PASSPHRASE",
        "SECRET", "SECRETS", "TOKEN", "TOKENS", "KEY", "KEYS", "APIKEY",
        "CREDENTIAL", "CREDENTIALS", "CREDS", "AUTH",
    }
)  # fmt: skip
# Words after the secret's word that still name the value itself: SECRET_KEY_BASE (Rails).
_ENCODINGS = frozenset({"BASE", "VALUE", "STRING", "B64", "BASE64", "HEX", "PEM", "RAW", "DATA"})
_SWITCHES = frozenset(
    {"ALLOW", "ENABLE", "ENABLED", "DISABLE", "DISABLED", "REQUIRE", "REQUIRED", "USE", "SKIP",
     "FORCE", "IGNORE", "NO", "IS", "HAS", "SHOW", "HIDE", "VALIDATE", "VERIFY"}
)  # fmt: skip
_PUBLIC = frozenset({"PUBLIC", "PUBLISHABLE"})
_NOT_SECRET_VALUES = frozenset(
    {"", "0", "1", "true", "false", "yes", "no", "on", "off", "none", "null"}
)
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*:[^\s/?#@]+@")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_BEARER = re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]{8,}")
_PATH = re.compile(r"\.{0,2}/[\w.@/-]*")  # a key file's path (REDIS_TLS_KEY=/certs/redis.key)


def name_words(name: str) -> list[str]:
    """`stripeApiKey` -> STRIPE, API, KEY; `AUTHENTIK_POSTGRESQL__HOST` -> its three words."""
    return [word.upper() for word in _WORDS.findall(name)]


def secret_name(name: str) -> bool:
    """Whether the name says its value is a secret (see the module's docstring)."""
    words = name_words(name)
    while words and words[-1] in _ENCODINGS:
        words.pop()
    if len(words) < 1 or words[-1] not in SECRET_WORDS:
        return False
    if words[0] in _SWITCHES:
        return False
    return not (words[-1] in {"KEY", "KEYS"} and len(words) > 1 and words[-2] in _PUBLIC)


def secret_value(value: str) -> str | None:
    """What credential the value carries whatever its name (None: none it shows)."""
    for shape, what in (
        (_URL_PASSWORD, "a password in a URL"),
        (_PRIVATE_KEY, "a private key"),
        (_BEARER, "a bearer token"),
    ):
        if shape.search(value):
            return what
    return None


def is_path(value: str) -> bool:
    """A file's path (`/run/secrets/db`, `./certs/redis.key`): it names a secret, never is one."""
    return bool(_PATH.fullmatch(value))


def looks_secret(name: str, value: str) -> bool:
    """A plain environment entry that should be a `--secret` instead."""
    text = value.strip()
    if text.lower() in _NOT_SECRET_VALUES or is_path(text):
        return False
    return secret_name(name) or secret_value(text) is not None
