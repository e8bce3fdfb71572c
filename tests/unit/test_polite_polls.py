"""A fleet's polls: stopped tasks read only when the counts show a stop; intervals that grow,
step back and jitter (rollout/verdicts/polite.py, rollout/watch.py)."""

from __future__ import annotations

from compose_ecs_deploy.rollout.verdicts import rolling as rollout
from compose_ecs_deploy.rollout.verdicts.polite import STOPPED_EVERY, wants_stopped_tasks
from compose_ecs_deploy.rollout.watch import jittered, next_interval
from compose_ecs_deploy.settings import Settings
from tests.unit.test_rollout import NEW, OLD, deployment, service, start


def after(state: rollout.WatchState, *deployments: dict) -> rollout.WatchState:
    return rollout.advance(state, service(*deployments))[0]


def primary(running: int, pending: int, *, failed: int = 0, state: str = "IN_PROGRESS") -> dict:
    return deployment(
        "ecs-svc/1", "PRIMARY", NEW, running, pending, rollout_state=state, failed=failed
    )


OLD_ONE = deployment("ecs-svc/0", "ACTIVE", OLD, 2, 0, rollout_state="COMPLETED")


def test_the_first_poll_reads_and_a_quiet_one_does_not() -> None:
    state = start()
    assert wants_stopped_tasks(state, service(primary(0, 2), OLD_ONE))
    state = after(state, primary(0, 2), OLD_ONE)
    assert not wants_stopped_tasks(state, service(primary(1, 1), OLD_ONE))  # one started
    assert not wants_stopped_tasks(state, service(primary(0, 2), OLD_ONE))


def test_a_stop_shows_in_the_counts() -> None:
    state = after(after(start(), primary(0, 2), OLD_ONE), primary(2, 0), OLD_ONE)
    assert wants_stopped_tasks(state, service(primary(1, 0), OLD_ONE))  # one ran, then stopped
    assert wants_stopped_tasks(state, service(primary(0, 2), OLD_ONE))  # both replaced
    assert wants_stopped_tasks(state, service(primary(2, 0, failed=1), OLD_ONE))
    assert not wants_stopped_tasks(state, service(primary(2, 0), OLD_ONE))


def test_before_a_verdict_and_when_our_deployment_left() -> None:
    state = after(start(), primary(2, 0), OLD_ONE)
    assert wants_stopped_tasks(state, service(primary(2, 0, state="COMPLETED"), OLD_ONE))
    assert wants_stopped_tasks(state, service(primary(2, 0, state="FAILED"), OLD_ONE))
    assert wants_stopped_tasks(state, service(OLD_ONE))


def test_every_few_polls_whatever_the_counts() -> None:
    state = start()
    reads = []
    for _ in range(3 * STOPPED_EVERY):
        reads.append(wants_stopped_tasks(state, service(primary(1, 1), OLD_ONE)))
        state = after(state, primary(1, 1), OLD_ONE)
    assert sum(reads) == 3


def test_the_interval_grows_steps_back_and_jitters() -> None:
    settings = Settings(compose_files=(), poll_interval=5.0, max_poll_interval=15.0)
    intervals = [0.0]
    for changed in (False, False, False, False, True, True, True):
        intervals.append(next_interval(settings, intervals[-1], changed=changed))
    assert intervals == [0.0, 5.0, 7.5, 11.25, 15.0, 10.0, 6.666666666666667, 5.0]
    draws = [jittered(10.0) for _ in range(200)]
    assert 8.0 <= min(draws) < 9.0 and 11.0 < max(draws) <= 12.0
