"""The poll interval's range (issue #22: 1-300 s), as both faces parse it: the action's inputs
and the CLI's options go through the same check before anything is read or written.

Below a second is allowed only against a loopback endpoint (a local stand-in such as moto or
LocalStack, which spends no account's budget), which is where every other test runs; so the
floor is shown here, with the endpoint variables set as a runner's would be for real AWS.
Nothing here makes a client or a call: the check is pure arithmetic on the settings.
"""

from __future__ import annotations

import pytest

from compose_ecs_deploy.faces import action, cli
from compose_ecs_deploy.settings import deploy_option_problems, local_endpoint

AWS = "https://ecs.us-east-1.amazonaws.com"


def _action_problems(monkeypatch: pytest.MonkeyPatch, interval: str) -> list[str]:
    for name in action.INPUTS:
        monkeypatch.setenv(f"INPUT_{name.upper()}", "")
    monkeypatch.setenv("INPUT_CLUSTER", "c")
    monkeypatch.setenv("INPUT_ECS-SERVICE", "s")
    monkeypatch.setenv("INPUT_POLL-INTERVAL", interval)
    settings = action.settings_from_inputs({"AWS_REGION": "us-east-1"})
    return [d.message for d in deploy_option_problems(settings)]


def _cli_problems(interval: str) -> list[str]:
    args = cli.build_parser().parse_args(
        ["deploy", "--cluster", "c", "--ecs-service", "s", "--region", "us-east-1",
         "--image-tag", "t", "--poll-interval", interval]
    )  # fmt: skip
    return [d.message for d in deploy_option_problems(cli.settings_from_args(args))]


@pytest.mark.parametrize("interval", ["1", "5", "300", "1.5"])
def test_one_to_300_seconds_pass_through_both_faces(monkeypatch, interval) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECS", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", AWS)
    assert _action_problems(monkeypatch, interval) == []
    assert _cli_problems(interval) == []


@pytest.mark.parametrize("interval", ["0.5", "0.01", "0", "-1", "300.5", "1e300", "nan", "inf"])
def test_outside_one_to_300_seconds_is_refused_by_both_faces(monkeypatch, interval) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECS", raising=False)
    for endpoint in (AWS, None):  # real AWS: by its endpoint, or boto3's default (unset)
        if endpoint:
            monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        else:
            monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        wanted = [
            "poll-interval must be 1 to 300 seconds (--poll-interval, action input poll-interval)"
        ]
        assert _action_problems(monkeypatch, interval) == wanted
        assert _cli_problems(interval) == wanted


def test_below_a_second_only_against_a_loopback_endpoint(monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", AWS)  # boto3 sends ECS's calls here: AWS's
    assert _cli_problems("0.5") == [
        "poll-interval must be 1 to 300 seconds (--poll-interval, action input poll-interval)"
    ]
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECS")
    assert _cli_problems("0.5") == []
    assert _cli_problems("0") == [
        "poll-interval must be above 0 to 300 seconds (--poll-interval, action input poll-interval)"
    ]


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:5000", True),
        ("https://localhost:4566/", True),
        ("http://[::1]:5000", True),
        ("http://user@127.0.0.1", True),
        (AWS, False),
        ("http://127.0.0.1.evil.example:5000", False),
        ("http://localhost.evil.example", False),
        ("", False),
    ],
)
def test_what_counts_as_a_loopback_endpoint(url, local) -> None:
    assert local_endpoint({"AWS_ENDPOINT_URL": url}) is local
