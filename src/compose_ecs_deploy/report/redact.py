"""What looks like a secret: one detector for the log-line masker and the diff redactor alike.

The shapes come from Yelp's detect-secrets (the PyPI package, pinned in pyproject), its
detectors used as plain pattern matchers (`analyze_string`: no settings, no verification
call, no I/O):
- known token formats (AWS access keys, GitHub, GitLab, Slack, Stripe, npm, PyPI, OpenAI,
  SendGrid, Twilio, JWTs, private keys, and the rest of its regex detectors but public IPs);
- `BasicAuthDetector`: a URL's `user:password@`;
- `KeywordDetector`: a value assigned to a secret-sounding name (`DB_PASS=…`, `password: …`,
  `"secret": "…"`), with its configuration-file patterns;
- the high-entropy detectors' Shannon entropy (base64 above 4.5, hex above 3.0 bits per
  character, the library's defaults), less its own false-positive filters (UUIDs, sequences).

Three shapes it does not know are added here, because apps print them: `Bearer <token>`
(an HTTP Authorization header), `--password=<value>` style options, and a secret word followed
by a space and a value that is not a plain word (`password hunter2`). A name that says
password, secret, token, key, credential or auth marks its value as secret whatever the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import import_module
from pkgutil import iter_modules

import detect_secrets.plugins as plugins
from detect_secrets.filters.heuristic import is_potential_uuid, is_sequential_string
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
)
from detect_secrets.plugins.ip_public import IPPublicDetector
from detect_secrets.plugins.keyword import CONFIG_DENYLIST_REGEX_TO_GROUP, KeywordDetector

from compose_ecs_deploy.compose.taskdef import SECRET_LOOKING_NAME as SECRET_NAME

MASK = "***"
MIN_SECRET_LENGTH = 4  # a shorter "secret" would blot out ordinary words of every line

_BEARER = re.compile(
    r"\b(?:Bearer|Basic|Token|Digest)\s+(?P<value>[A-Za-z0-9._~+/=:-]{8,})", re.IGNORECASE
)
# (this tool's own options --secret and --secrets-file take ARNs and paths, not secrets)
_OPTION = re.compile(
    r"--?(?!secrets?(?:-file)?[=\s])[\w-]*(?:password|passwd|secret|token|api-?key|credential)"
    r"[\w-]*(?:=|\s+)(?P<value>[^\s\"']+)",
    re.IGNORECASE,
)
_WORD_THEN_VALUE = re.compile(
    r"\b(?:password|passwd|passphrase|secret|token)\s+(?=\S*[^A-Za-z\s])(?P<value>[^\s\"',;]{4,})",
    re.IGNORECASE,
)


@cache
def _regex_detectors() -> tuple[RegexBasedDetector, ...]:
    """Every regex detector detect-secrets ships but public IP addresses (not secrets)."""
    for module in iter_modules(plugins.__path__):
        import_module(f"{plugins.__name__}.{module.name}")
    return tuple(
        cls()
        for cls in _subclasses(RegexBasedDetector)
        if cls is not IPPublicDetector and not getattr(cls, "__abstractmethods__", None)
    )


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# NAME=value, NAME: value, "NAME": "value" where NAME looks secret; the value ends at a space,
# quote, comma, semicolon, ampersand or closing brace.
_NAMED_VALUE = re.compile(
    r"[\w.-]*(?:" + SECRET_NAME.pattern + r")[\w.-]*[\"']?\s*[=:]\s*[\"']?(?P<value>[^\s\"',;&}]+)",
    re.IGNORECASE,
)
_ARN = re.compile(r"\barn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d*:[^\s\"',;)]+")
_QUOTED = re.compile(r"[\"']([A-Za-z0-9+/=_-]{16,})[\"']")
_KEYWORD = KeywordDetector()
_BASE64 = Base64HighEntropyString()
_HEX = HexHighEntropyString()


def _high_entropy(token: str) -> bool:
    if len(token) < 16 or is_potential_uuid(token) or is_sequential_string(token):
        return False
    for plugin in (_HEX, _BASE64):
        if set(token) <= set(plugin.charset):
            return plugin.calculate_shannon_entropy(token) > plugin.entropy_limit
    return False


def found_in(text: str, *, by_name: bool = True) -> set[str]:
    """The substrings of `text` that look like secrets (each at least MIN_SECRET_LENGTH).

    `by_name=False` keeps to the value's own shape (token formats, a URL's password,
    `Bearer …`, quoted high-entropy strings): for the tool's own lines, which name fields
    such as `environment.DB_PASSWORD:` that the name-based detectors would take for an
    assignment (those lines never echo a value that came from a secret-looking name).
    """
    found: set[str] = set()
    for detector in _regex_detectors():
        for regex in detector.denylist:
            for match in regex.finditer(text):
                # a detector's groups may be a prefix (`(ghp|gho)_…`) or the secret itself
                # (a URL's password): the longest group that is long enough, else the match
                groups = [g for g in match.groups() if g and len(g) >= MIN_SECRET_LENGTH]
                found.add(max(groups, key=len) if groups else match.group(0))
    found.update(m.group("value") for m in _BEARER.finditer(text))
    found.update(t for t in _QUOTED.findall(text) if _high_entropy(t))
    if by_name:
        # An ARN names a secret without holding it (`...:secret:db-password-AbCdEf`):
        # blanked out for the detectors that go by names, so that lines keep their ARNs.
        named = _ARN.sub(lambda m: " " * len(m.group(0)), text)
        found.update(_KEYWORD.analyze_string(named, CONFIG_DENYLIST_REGEX_TO_GROUP))
        for pattern in (_OPTION, _WORD_THEN_VALUE, _NAMED_VALUE):
            found.update(m.group("value") for m in pattern.finditer(named))
    return {s.strip() for s in found if len(s.strip()) >= MIN_SECRET_LENGTH}


def looks_secret(name: str, value: str) -> bool:
    """Whether `value`, set under `name` (an environment name, a label, an option), must not
    be shown: the name says so, or the value or any word of it looks like a credential."""
    if SECRET_NAME.search(name):
        return True
    if found_in(value) or found_in(f'{name}="{value}"'):
        return True
    return any(_high_entropy(word) for word in re.split(r"[\s=:,;]+", value))


def mask(text: str, known: Iterable[str] = (), *, by_name: bool = True) -> str:
    """`text` with every known secret value and every secret-looking substring replaced
    (`by_name`: see `found_in`)."""
    values = {v for v in known if len(v) >= MIN_SECRET_LENGTH} | found_in(text, by_name=by_name)
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text
