"""Secret bindings (`NAME=ARN`, `SERVICE.NAME=ARN`) parsed from options and secrets files."""

from __future__ import annotations

import re
from dataclasses import dataclass

from compose_ecs_deploy.diagnostics import Diagnostic, Diagnostics

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# An environment variable's name, or a compose secret's (file secrets: `db-password`); which
# one it is is known only with the project (`bind_secrets`).
SECRET_NAME = re.compile(r"[A-Za-z0-9_-]+")
SECRETS_MANAGER_ARN = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"
    r"(:[^:]*:[^:]*:[^:]*)?"
)
SSM_PARAMETER_ARN = re.compile(
    r"arn:aws[a-z-]*:ssm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:parameter/[A-Za-z0-9/_.-]+"
)
SSM_PARAMETER_NAME = re.compile(r"/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


def is_secret_reference(value_from: str) -> bool:
    """What ECS accepts as `valueFrom`: a Secrets Manager ARN, an SSM ARN or parameter name."""
    if value_from.startswith("arn:"):
        return bool(
            SECRETS_MANAGER_ARN.fullmatch(value_from) or SSM_PARAMETER_ARN.fullmatch(value_from)
        )
    return bool(SSM_PARAMETER_NAME.fullmatch(value_from))


@dataclass(frozen=True)
class SecretBinding:
    name: str
    value_from: str
    service: str | None
    origin: str

    @property
    def key(self) -> str:
        return f"{self.service}.{self.name}" if self.service else self.name


def parse_secret_line(text: str, origin: str, diagnostics: Diagnostics) -> SecretBinding | None:
    """One binding, or an error naming `origin` (a file:line or the option) and the fix."""
    key, sep, value_from = text.partition("=")
    key, value_from = key.strip(), value_from.strip()
    if not sep or not key or not value_from:
        diagnostics.add(
            Diagnostic.error(
                "secret-syntax",
                f"{origin}: {text.strip()!r} is not NAME=ARN (or SERVICE.NAME=ARN); "
                "write e.g. DATABASE_URL=arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME",
            )
        )
        return None
    service, dot, name = key.rpartition(".")
    if not dot:
        service, name = "", key
    if not SECRET_NAME.fullmatch(name):
        diagnostics.add(
            Diagnostic.error(
                "secret-name",
                f"{origin}: {name!r} is neither a valid environment variable name (letters, "
                "digits and _; not starting with a digit) nor a compose secret's name",
            )
        )
        return None
    if not is_secret_reference(value_from):
        diagnostics.add(
            Diagnostic.error(
                "secret-arn",
                f"{origin}: {name}: {value_from!r} is neither a Secrets Manager ARN "
                "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:json-key::]) nor an SSM "
                "parameter ARN or name",
            )
        )
        return None
    return SecretBinding(name=name, value_from=value_from, service=service or None, origin=origin)


def parse_secret_lines(
    lines: list[tuple[str, str]], diagnostics: Diagnostics
) -> tuple[SecretBinding, ...]:
    """Bindings from (text, origin) pairs; blank lines and `#` comments are skipped."""
    bindings: list[SecretBinding] = []
    seen: dict[str, SecretBinding] = {}
    for text, origin in lines:
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        binding = parse_secret_line(text, origin, diagnostics)
        if binding is None:
            continue
        if binding.key in seen and seen[binding.key].value_from != binding.value_from:
            diagnostics.add(
                Diagnostic.error(
                    "secret-duplicate",
                    f"{origin}: {binding.key} is bound twice (also at {seen[binding.key].origin}) "
                    "with different values; keep one",
                )
            )
            continue
        seen[binding.key] = binding
        bindings.append(binding)
    return tuple(bindings)
