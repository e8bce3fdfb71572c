"""`rollback` against the stack: the target from ECS's service-deployment history (never N-1),
`--to` in its four forms, the same watch and outputs as a deploy, and no write but the one
UpdateService (asserted on the calls the fault proxy forwarded)."""

from __future__ import annotations

import pytest

from compose_ecs_deploy.compose.taskdef import strip_read_only
from compose_ecs_deploy.faces.cli import main
from tests.deploy.conftest import CLUSTER, World
from tests.support.fault_proxy import FaultProxy

pytestmark = pytest.mark.stack
WRITES = {
    "RegisterTaskDefinition", "DeregisterTaskDefinition", "DeleteTaskDefinitions",
    "CreateService", "DeleteService", "StopServiceDeployment", "TagResource",
}  # fmt: skip


def cli(capsys: pytest.CaptureFixture[str], verb: str, *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(
        [verb, "--cluster", CLUSTER, "--ecs-service", "web", "--poll-interval", "1", *extra]
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def deployed(world: World, *tags: str) -> list[str]:
    """The service on its first revision, then one deploy per image tag: every revision."""
    revisions = [world.service("web")]
    for tag in tags:
        deployment, _ = world.deploy(world.settings(images=(f"app=example/app:{tag}",)))
        assert deployment.result.succeeded
        revisions.append(deployment.result.services[0].task_definition_arn)
    return revisions


def runs(world: World) -> str:
    return str(world.running("web")["taskDefinition"])


def test_rollback_goes_to_the_last_completed_revision_and_twice_goes_two_back(
    world: World, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    one, two, _three = deployed(world, "2", "3")
    proxy.forwarded.clear()
    code, out, err = cli(capsys, "rollback")
    assert code == 0, err
    assert runs(world) == two
    assert f"task-definition-arn={two}" in out and "changed=true" in out
    assert "deployment-id=ecs-svc/" in out
    assert not WRITES & set(proxy.forwarded), proxy.forwarded
    assert proxy.forwarded["UpdateService"] == 1

    code, _, err = cli(capsys, "rollback")  # not back to 3: 3 was rolled back
    assert code == 0, err
    assert runs(world) == one


def test_a_revision_ecs_rolled_back_is_never_the_target(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = deployed(world, "2")
    world.ecs.tag_resource(
        resourceArn=world.running("web")["serviceArn"],
        tags=[{"key": "simulator:scenario", "value": "circuit-breaker"}],
    )
    failed, _ = world.deploy(world.settings(images=("app=example/app:3",)))
    assert not failed.result.succeeded and runs(world) == two  # ECS rolled 3 back
    code, _, err = cli(capsys, "rollback")
    assert code == 0, err
    assert runs(world) == one  # not 3 (N-1 of the family), which ECS rolled back


def test_after_ecs_rolled_one_back_two_rollbacks_go_two_releases_back(
    world: World, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    """2 and 3 complete, 4 fails and ECS rolls it back to 3; rollback goes to 2, and a second
    rollback to 1: never forth to 3, which the first rollback replaced (ECS's rolled-back 4
    lies between them in the history; the rollback's sourceServiceRevisions says what it
    replaced)."""
    one, two, three = deployed(world, "2", "3")
    arn = world.running("web")["serviceArn"]
    world.ecs.tag_resource(
        resourceArn=arn, tags=[{"key": "simulator:scenario", "value": "circuit-breaker"}]
    )
    failed, _ = world.deploy(world.settings(images=("app=example/app:4",)))
    assert not failed.result.succeeded and runs(world) == three
    world.ecs.untag_resource(resourceArn=arn, tagKeys=["simulator:scenario"])
    code, _, err = cli(capsys, "rollback")
    assert code == 0, err
    assert runs(world) == two
    proxy.forwarded.clear()
    code, _, err = cli(capsys, "rollback")
    assert code == 0, err
    assert runs(world) == one
    assert proxy.forwarded["ListServiceDeployments"] == 1  # one page of 100 holds them all
    assert proxy.forwarded["DescribeServiceDeployments"] >= 1


@pytest.mark.parametrize("form", ["number", "family", "arn", "tag"])
def test_to_in_every_form(world: World, capsys: pytest.CaptureFixture[str], form: str) -> None:
    _one, two, _three = deployed(world, "2", "3")
    value = {
        "number": two.rsplit(":", 1)[-1],
        "family": two.rsplit("/", 1)[-1],
        "arn": two,
        "tag": "2",
    }[form]
    code, _out, err = cli(capsys, "rollback", "--to", value)
    assert code == 0, err
    assert runs(world) == two


def test_to_a_digest_or_a_full_sha_finds_the_revision_with_that_image(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """A revision whose image is pinned by digest on a registry with a port, tagged with the
    short SHA: `--to` the digest finds it, and so does the full commit SHA."""
    sha = "ad132f5e0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    digest = "sha256:" + "c" * 64
    _one, two, three = deployed(world, "2", "3")
    request = strip_read_only(
        world.ecs.describe_task_definition(taskDefinition=two)["taskDefinition"]
    )
    for container in request["containerDefinitions"]:
        if container["name"] == "app":
            container["image"] = f"registry.internal:5000/app:{sha[:7]}@{digest}"
    pinned = world.ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    code, _, err = cli(capsys, "rollback", "--to", digest)
    assert code == 0, err
    assert runs(world) == pinned
    code, _, err = cli(capsys, "rollback", "--to", "3")
    assert code == 0 and runs(world) == three, err
    code, _, err = cli(capsys, "rollback", "--to", sha)
    assert code == 0, err
    assert runs(world) == pinned


def test_nothing_to_roll_back_to_is_one_error_line_and_no_write(
    world: World, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    deployed(world)
    code, _out, err = cli(capsys, "rollback")
    assert code == 1
    assert err.count("error:") == 1 and "nothing to roll back to" in err, err
    assert "Traceback" not in err
    assert proxy.forwarded["UpdateService"] == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("99", "could not be read"),
        ("nosuchtag", "no ACTIVE revision of web"),
        ("a b", "--to takes"),
        ("$(reboot)", "--to takes"),
        ("1", "already runs"),
    ],
)
def test_to_that_cannot_be_used(
    world: World, capsys: pytest.CaptureFixture[str], proxy: FaultProxy, value: str, message: str
) -> None:
    deployed(world)
    code, _, err = cli(capsys, "rollback", "--to", value)
    assert code == 1 and message in err, err
    assert err.startswith("error:") and "Traceback" not in err
    assert proxy.forwarded["UpdateService"] == 0


def test_an_inactive_revision_is_passed_over(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two, _three = deployed(world, "2", "3")
    world.ecs.deregister_task_definition(taskDefinition=two)
    code, _, err = cli(capsys, "rollback")
    assert code == 0, err
    assert runs(world) == one
    code, _, err = cli(capsys, "rollback", "--to", two)
    assert code == 1 and "INACTIVE" in err


def test_a_failing_rollback_is_explained_and_undone_like_a_deploy(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _one, _two, three = deployed(world, "2", "3")
    world.ecs.tag_resource(
        resourceArn=world.running("web")["serviceArn"],
        tags=[{"key": "simulator:scenario", "value": "crash-loop"}],
    )
    code, _out, err = cli(capsys, "rollback", "--wait-timeout", "1")
    assert code == 1
    assert "service web: failed:" in err, err
    assert runs(world) == three  # back onto the revision that ran


def test_no_wait_starts_it_and_leaves_it_to_ecs(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _one, two, _three = deployed(world, "2", "3")
    code, _out, err = cli(capsys, "rollback", "--no-wait")
    assert code == 0, err
    assert runs(world) == two
    assert world.running("web")["deployments"][0]["rolloutState"] == "IN_PROGRESS"
