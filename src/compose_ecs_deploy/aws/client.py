"""boto3 clients and the translation of their errors into messages a person can act on.

Clients honour `AWS_ENDPOINT_URL` (boto3's own setting), so the same code path talks to AWS
or to a stand-in; retries use botocore's standard mode with a configurable budget, and every
API method waits out account-wide throttling through the run's one throttle budget
(aws/throttle.py), whichever module calls it. Every call is counted by name, so a deploy can
report (and a benchmark check) how many it made.

Making a client is the costly part of a first call: botocore loads the service's JSON model
and endpoint rules, tens of milliseconds of CPU each. So a run has one session and one client
per service, made on first use or, for the clients a later stage will need (verify's reads),
ahead of time on a thread of their own while the plan waits on ECS (`warm`). One lock guards
the session (boto3 sessions are not thread-safe; the clients they make are).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ReadTimeoutError,
)

from compose_ecs_deploy.aws.throttle import ThrottleBudget
from compose_ecs_deploy.errors import AwsError
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.settings import Settings

T = TypeVar("T")


@dataclass
class Aws:
    """One session's clients, created on first use (or ahead, `warm`), with a counter of API
    calls by name."""

    region: str | None
    max_retries: int = 4
    throttle: ThrottleBudget = field(default_factory=ThrottleBudget)
    calls: Counter[str] = field(default_factory=Counter)
    # Reads that several steps of one run need and whose answer the run does not change (a
    # CODE_DEPLOY service's deployment group: a rollback reads its history, then prepares the
    # rollout): made once a run, by key (`read_once`).
    known: dict[tuple[str, ...], Any] = field(default_factory=dict)
    _clients: dict[tuple[str, bool, str | None], Any] = field(default_factory=dict)
    _session: boto3.session.Session | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)
    _counting: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def client(self, service: str, *, retries: bool = True, region: str | None = None) -> Any:
        """A client with botocore's standard retries, or (for writes that must not be
        repeated blindly) one that tries once and lets the caller decide; `region` for a
        resource that lives elsewhere than the deploy (a log group's awslogs-region)."""
        key = (service, retries, region if region != self.region else None)
        made = self._clients.get(key)
        if made is None:
            with self._lock:  # one maker at a time; a client being warmed is waited for
                made = self._clients.get(key)
                if made is None:
                    made = self._make(key)
        return made

    def _make(self, key: tuple[str, bool, str | None]) -> Any:
        service, retries, region = key
        if self._session is None:  # one session: each would load the models again
            self._session = boto3.session.Session(region_name=self.region)
        attempts = self.max_retries + 1 if retries else 1
        config = Config(
            retries={"mode": "standard", "total_max_attempts": attempts},
            connect_timeout=10,
            read_timeout=60,
        )
        client = self._session.client(  # type: ignore[call-overload]
            service, config=config, region_name=region or self.region
        )
        client.meta.events.register("before-call.*.*", self._count)
        made = self._clients[key] = Patient(client, self.throttle)
        return made

    def warm(self, wanted: Iterable[tuple[str, str | None]]) -> None:
        """Make these clients (service, Region) on a background thread, so that the stage
        that calls them later finds them made: the CPU of loading their models then runs
        while this run waits on the network. A client asked for while it is being made is
        waited for; one made for nothing costs only that CPU (no call is sent)."""
        todo = list(dict.fromkeys(wanted))
        if todo:
            threading.Thread(
                target=self._warm, args=(todo,), name="aws-clients", daemon=True
            ).start()

    def _warm(self, todo: list[tuple[str, str | None]]) -> None:
        for service, region in todo:
            try:
                self.client(service, region=region)
            except Exception:  # the first real use makes it again, and says why it failed
                return

    def _count(self, model: Any, **_: Any) -> None:
        with self._counting:  # the checks call from several threads at once
            self.calls[f"{model.service_model.service_name}:{model.name}"] += 1


def read_once(aws: Aws, key: tuple[str, ...], read: Callable[[], T]) -> T:
    """`read()` the first time this run asks for `key`, its answer after that (a failed read
    is not kept: the next asks again)."""
    if key not in aws.known:
        aws.known[key] = read()
    return cast(T, aws.known[key])


def session(settings: Settings, log: Log) -> Aws:
    """The run's AWS session: `max-retries` for transient errors, `throttle-timeout` for
    throttling, whose waits are said on `log` once a minute."""
    budget = ThrottleBudget(settings.throttle_timeout_minutes * 60, notice=log.info)
    return Aws(settings.region, max_retries=settings.max_retries, throttle=budget)


class Patient:
    """A boto3 client whose API methods wait out throttling through the run's budget, so that
    no call site needs a retry loop of its own; everything else (meta, exceptions) is the
    client's own."""

    def __init__(self, client: Any, budget: ThrottleBudget) -> None:
        self._client = client
        self._budget = budget

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        api = self._client.meta.method_to_api_mapping.get(name)
        if api is None:
            return attribute
        what = f"{self._client.meta.service_model.service_name}:{api}"

        def waiting(**params: Any) -> Any:
            return self._budget.call(what, lambda: attribute(**params), is_throttling)

        return waiting


_DENIED = re.compile(r"not authorized to perform:?\s*([a-z0-9-]+:[A-Za-z0-9]+)")


def describe_client_error(action: str, error: ClientError) -> str:
    """`ecs:UpdateService failed: ...` with the fix for the usual causes."""
    info = error.response.get("Error", {})
    code = str(info.get("Code", "Unknown"))
    message = str(info.get("Message", "")).strip()
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    denied = _DENIED.search(message)
    if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation") or (
        denied and (code == "403" or status == 403)
    ):
        needed = denied.group(1) if denied else action
        return (
            f"{action} was denied: the credentials are not allowed {needed}; add it to "
            "the deploy role's policy (see docs/iam-policy.json)"
        )
    if code in (
        "ExpiredTokenException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
    ):
        return (
            f"{action} failed: the AWS credentials are invalid or expired ({code}); "
            "check the role assumption step"
        )
    return f"{action} failed: {code}: {message}" if message else f"{action} failed: {code}"


_THROTTLING = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "ThrottleException",  # ECR ("Troubleshooting Amazon ECR error messages")
        "ThrottledException",
    }
)


def is_throttling(error: Exception) -> bool:
    """AWS refused the call for the account's request rate (an HTTP 429 says the same)."""
    if not isinstance(error, ClientError):
        return False
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in _THROTTLING or status == 429


def is_transient(error: ClientError) -> bool:
    """Throttling and server-side errors: the same call may well succeed a moment later."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return code in _THROTTLING or status >= 500


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Turn botocore's exceptions for one API action into AwsError with a clear message."""
    try:
        yield
    except ClientError as exc:
        raise AwsError(describe_client_error(action, exc), transient=is_transient(exc)) from exc
    except NoCredentialsError as exc:
        raise AwsError(
            f"{action} failed: no AWS credentials found; configure them (e.g. "
            "aws-actions/configure-aws-credentials) before this step"
        ) from exc
    except NoRegionError as exc:
        raise AwsError(
            f"{action} failed: no AWS region; pass --region (action input "
            "aws-region) or set AWS_REGION"
        ) from exc
    except EndpointConnectionError as exc:
        raise AwsError(
            f"{action} failed: cannot reach {exc.kwargs.get('endpoint_url')}; "
            "check the network and the region",
            transient=True,
        ) from exc
    except (ConnectionClosedError, ReadTimeoutError, ConnectTimeoutError) as exc:
        raise AwsError(
            f"{action} failed: the connection to AWS broke ({exc})", transient=True
        ) from exc
    except BotoCoreError as exc:
        raise AwsError(f"{action} failed: {exc}") from exc


def action_name(api: str, operation: str) -> str:
    return f"{api}:{''.join(part.title() for part in operation.split('_'))}"


def call(aws: Aws, api: str, operation: str, /, **params: Any) -> Any:
    """One API call, retried by botocore, errors translated; `operation` is snake_case."""
    with translated(action_name(api, operation)):
        return getattr(aws.client(api), operation)(**params)


def call_once(aws: Aws, api: str, operation: str, /, **params: Any) -> Any:
    """One attempt only: for writes whose retry must first check whether the last landed."""
    with translated(action_name(api, operation)):
        return getattr(aws.client(api, retries=False), operation)(**params)
