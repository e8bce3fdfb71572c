"""The poll interval's range (issue #22: 1-300 s), as both faces parse it: the action's inputs
and the CLI's options go through the same check before anything is read or written, wherever
ECS is (AWS, or a local stand-in such as the tests' moto).

The tests' speed comes from another knob that no input reaches: COMPOSE_ECS_DEPLOY_TIME_SCALE,
a factor in (0, 1] on the waits between polls, honoured only against a loopback endpoint and
never on a timeout (settings.time_scale_from, Settings.pause). Nothing here makes a client or
a call: the check is pure arithmetic on the settings, and the watch's sleeps are counted
with a fake clock.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from compose_ecs_deploy.faces import action, cli
from compose_ecs_deploy.rollout import watch
from compose_ecs_deploy.rollout.interface import Polled
from compose_ecs_deploy.rollout.verdicts.rolling import Outcome
from compose_ecs_deploy.settings import (
    TIME_SCALE,
    Settings,
    deploy_option_problems,
    local_endpoint,
)
from tests.support.memory_log import MemoryLog

AWS = "https://ecs.us-east-1.amazonaws.com"
LOCAL = "http://127.0.0.1:5000"


def _action_problems(monkeypatch: pytest.MonkeyPatch, interval: str) -> list[str]:
    for name in action.INPUTS:
        monkeypatch.setenv(f"INPUT_{name.upper()}", "")
    monkeypatch.setenv("INPUT_CLUSTER", "c")
    monkeypatch.setenv("INPUT_ECS-SERVICE", "s")
    monkeypatch.setenv("INPUT_POLL-INTERVAL", interval)
    settings = action.settings_from_inputs({**os.environ, "AWS_REGION": "us-east-1"})
    return [d.message for d in deploy_option_problems(settings)]


def _cli_settings(interval: str) -> Settings:
    args = cli.build_parser().parse_args(
        ["deploy", "--cluster", "c", "--ecs-service", "s", "--region", "us-east-1",
         "--image-tag", "t", "--poll-interval", interval]
    )  # fmt: skip
    return cli.settings_from_args(args)


def _cli_problems(interval: str) -> list[str]:
    return [d.message for d in deploy_option_problems(_cli_settings(interval))]


def _settings(monkeypatch: pytest.MonkeyPatch, face: str, interval: str) -> Settings:
    if face == "cli":
        return _cli_settings(interval)
    _action_problems(monkeypatch, interval)  # sets the inputs
    return action.settings_from_inputs(dict(os.environ))


@pytest.mark.parametrize("interval", ["1", "5", "300", "1.5"])
def test_one_to_300_seconds_pass_through_both_faces(monkeypatch, interval) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECS", raising=False)
    monkeypatch.delenv(TIME_SCALE, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", AWS)
    assert _action_problems(monkeypatch, interval) == []
    assert _cli_problems(interval) == []


@pytest.mark.parametrize("interval", ["0.5", "0.01", "0", "-1", "300.5", "1e300", "nan", "inf"])
@pytest.mark.parametrize("endpoint", [AWS, None, LOCAL], ids=["aws", "default", "loopback"])
def test_outside_one_to_300_seconds_is_refused_by_both_faces_wherever_ecs_is(
    monkeypatch, interval, endpoint
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECS", raising=False)
    monkeypatch.delenv(TIME_SCALE, raising=False)
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    else:  # boto3's default: AWS
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    wanted = [
        "poll-interval must be 1 to 300 seconds (--poll-interval, action input poll-interval)"
    ]
    assert _action_problems(monkeypatch, interval) == wanted
    assert _cli_problems(interval) == wanted


def test_half_a_second_is_refused_even_with_the_time_scale_on_loopback(monkeypatch) -> None:
    """The knob shortens the waits; it never widens what a user may give."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", LOCAL)
    monkeypatch.setenv(TIME_SCALE, "0.01")
    assert _cli_problems("0.5") == [
        "poll-interval must be 1 to 300 seconds (--poll-interval, action input poll-interval)"
    ]
    assert _cli_problems("1") == []


@pytest.mark.parametrize("face", ["cli", "action"])
def test_the_time_scale_is_read_by_both_faces_and_no_input_reaches_it(monkeypatch, face) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", LOCAL)
    monkeypatch.setenv(TIME_SCALE, "0.25")
    assert _settings(monkeypatch, face, "1").time_scale == 0.25
    monkeypatch.delenv(TIME_SCALE)
    assert _settings(monkeypatch, face, "1").time_scale == 1.0
    assert "time-scale" not in action.INPUTS
    with pytest.raises(SystemExit):  # argparse: no such option
        cli.build_parser().parse_args(["deploy", "--time-scale", "0.01"])


@pytest.mark.parametrize("value", ["fast", "0", "-0.5", "1.5", "nan", "inf", "1e300"])
def test_a_malformed_time_scale_is_refused_without_repeating_it(monkeypatch, value) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", LOCAL)
    monkeypatch.setenv(TIME_SCALE, value)
    for problems in (_cli_problems("5"), _action_problems(monkeypatch, "5")):
        assert problems == [  # the same words whatever the value: it is not repeated
            f"{TIME_SCALE} must be a number above 0 and at most 1 (a test-only factor on the "
            "waits between polls; its value is not repeated here): fix or unset it"
        ]


@pytest.mark.parametrize("endpoint", [AWS, None])
def test_the_time_scale_is_refused_against_a_non_loopback_endpoint(monkeypatch, endpoint) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECS", raising=False)
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv(TIME_SCALE, "0.01")
    (problem,) = _cli_problems("5")
    assert problem.startswith(f"{TIME_SCALE} is set, but ECS's endpoint")
    monkeypatch.setenv("AWS_ENDPOINT_URL", LOCAL)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", AWS)  # boto3 sends ECS's calls here: AWS's
    assert _cli_problems("5") == [problem]
    monkeypatch.setenv(TIME_SCALE, "1")  # no shortening: nothing to refuse
    assert _cli_problems("5") == []


class Clock:
    """A fake clock that the watch's sleeps move: what the watch waits, in real seconds."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class NeverDone:
    """A controller whose rollout never ends: the watch polls until the wait timeout."""

    def poll(self, aws, settings, states, left):
        return Polled({name: state for name, state in states.items()})

    def respond(self, aws, settings, state, log, left):
        return state

    def verdict(self, state):
        return None

    def expire(self, aws, settings, state, log):
        return Outcome("timed-out", "the wait timed out")


@pytest.mark.parametrize("scale", [1.0, 0.01])
def test_the_time_scale_shortens_the_sleeps_but_never_the_wait_timeout(monkeypatch, scale) -> None:
    clock = Clock()
    monkeypatch.setattr(watch.time, "sleep", clock.sleep)
    monkeypatch.setattr(watch.random, "uniform", lambda low, high: 1.0)  # no jitter
    settings = Settings(
        compose_files=(),
        poll_interval=1.0,
        max_poll_interval=15.0,
        wait_timeout_minutes=2.0,
        time_scale=scale,
    )
    aws = SimpleNamespace(throttle=SimpleNamespace(throttled=0))
    watched = {"web": watch.Watched(NeverDone(), None)}
    outcomes = watch.watch(aws, settings, watched, MemoryLog(), clock=clock)
    assert outcomes["web"].kind == "timed-out"
    assert clock.now == pytest.approx(120.0)  # two real minutes, whatever the scale
    pauses = [s for s in clock.slept if s > 0]
    assert pauses[0] == pytest.approx(1.0 * scale)  # the first interval, scaled
    assert max(pauses[:-1]) == pytest.approx(15.0 * scale)  # the growth's cap, scaled
    assert len(pauses) > (100 if scale < 1 else 8)  # so many more polls in the same minutes


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
