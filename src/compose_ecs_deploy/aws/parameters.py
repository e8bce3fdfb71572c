"""Bare SSM parameter names: taken only when the parameter exists, never printed.

`DB_PASSWORD=db-password` is legal in ECS: a name alone is a parameter of the task's Region
(ECS API reference, "Secret"; developer guide, "Pass Systems Manager parameters as
environment variables"). But a pasted password has the same shape, and registering it would
show it in every describe and diff. So before anything is written, every bare name of every
request the run is about to register (compose/secrets.BareName: from `--secret`, a secrets
file, a service's x-ecs, the base file or the running revision, in a container's `secrets`
or its log configuration's `secretOptions`; the deployed services' and the one-offs') is
looked up at once, even with --no-verify: GetParameters, ten names a call (its documented
maximum: "Array Members: Minimum number of 1 item. Maximum number of 10 items.", Systems
Manager API reference, GetParameters, request parameter `Names`; botocore's model says the
same), `WithDecryption` false and the values dropped unread. Names SSM does not know come back
in `InvalidParameters`. One that exists is masked like any secret the run learns (the action
registers it with `::add-mask::`); one that does not, or one that cannot be looked up (the
call denied, throttled past the retries), is an error that names where it was given (file,
line, service, field, or the option or secrets-file line and key), never the value, and says
how to store a secret instead. AWS's own message is left out of it: a validation message may
quote the name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.compose.secrets import BareName
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.report.console import Log

BATCH = 10  # GetParameters' limit on Names
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
MISSING = "SSM has no parameter of that name in the deploy's Region"


def _unreadable(error: Exception) -> str:
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _DENIED:
            return (
                "ssm:GetParameters was denied (allow it: docs/iam-policy.json, statement "
                "OptionalVerify), or give the parameter's ARN"
            )
        return f"the lookup failed ({code or 'an error'}); give the parameter's ARN"
    return f"the lookup failed ({type(error).__name__}); give the parameter's ARN"


def bare_names(rendered: Iterable[Sequence[BareName]]) -> list[BareName]:
    """The bare names of several requests (the services', the one-offs'), each place once."""
    return list(dict.fromkeys(name for names in rendered for name in names))


def check_bare_parameters(aws: Aws, names: Sequence[BareName], log: Log) -> list[Diagnostic]:
    """The problems of the bare parameter names (none: each exists, and is masked from here
    on), each named where it was written."""
    wanted = list(dict.fromkeys(name.value_from for name in names))
    for value in wanted:  # masked before anything can print it, found or not
        log.mask(value)
    missing: dict[str, str] = {}
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        try:
            answer = aws.client("ssm").get_parameters(Names=batch, WithDecryption=False)
        except (ClientError, BotoCoreError, ResponseParserError) as exc:
            missing.update(dict.fromkeys(batch, _unreadable(exc)))
            continue
        for value in answer.get("InvalidParameters") or []:
            missing[str(value)] = MISSING
    problems = [n.refused(missing[n.value_from]) for n in names if n.value_from in missing]
    return list(dict.fromkeys(problems))
