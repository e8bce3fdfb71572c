"""`--builder NAME`: the option's words, and the builder looked up by buildx itself.

The lookups run the real buildx plugin (Debian's docker-buildx, which the stack installs)
against a docker config of the test's own; no engine is needed for them to answer.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from compose_ecs_deploy.errors import BuildError
from compose_ecs_deploy.faces.cli import build_parser
from compose_ecs_deploy.images import compose_build
from compose_ecs_deploy.images.builder import find_builder, find_buildx
from compose_ecs_deploy.pipeline.preflight import builder_check
from compose_ecs_deploy.settings import Settings, deploy_option_problems


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "docker-config"
    folder.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    if find_buildx() is None:
        pytest.skip("the buildx plugin (docker-buildx) is not installed")
    return folder


def _context(name: str, host: str) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("the docker CLI (docker.io) makes contexts")
    subprocess.run(
        [docker, "context", "create", name, "--docker", f"host={host}"],
        check=True,
        capture_output=True,
    )


@pytest.mark.parametrize("name", ["build-farm", "farm_2", "ctx.prod+eu", "0cloud"])
def test_builder_names_buildx_and_contexts_use_are_taken(name: str) -> None:
    settings = Settings(compose_files=(), region="us-east-1", builder=name)
    assert deploy_option_problems(settings) == []


@pytest.mark.parametrize("name", ["--push", "farm one", "farm\nx", "-quiet", "x" * 129])
def test_other_builder_values_are_refused_by_the_option_without_repeating_them(name) -> None:
    settings = Settings(compose_files=(), region="us-east-1", builder=name)
    (problem,) = deploy_option_problems(settings)
    assert "builder is not a buildx builder's name" in problem.message
    assert "--builder" in problem.message and "action input builder" in problem.message
    assert name not in problem.message


def test_the_cli_takes_builder_for_deploy_run_and_verify() -> None:
    for verb in (["deploy"], ["verify"], ["run"]):
        argv = [*verb, "-f", "c.yaml", "--cluster", "c", "--ecs-service", "s", "--builder", "f"]
        args = build_parser().parse_args(argv + (["web"] if verb == ["run"] else []))
        assert args.builder == "f"


def test_a_name_buildx_does_not_know_is_an_error_that_says_how_to_list_them(
    docker_config: Path,
) -> None:
    with pytest.raises(BuildError) as raised:
        find_builder("no-such-farm")
    message = str(raised.value)
    assert message.startswith("builder no-such-farm (--builder, action input builder): no such")
    assert 'no builder "no-such-farm" found' in message
    assert "docker buildx ls" in message


def test_a_builder_buildx_cannot_reach_is_an_error(docker_config: Path, tmp_path: Path) -> None:
    _context("far-farm", f"unix://{tmp_path}/nothing.sock")
    with pytest.raises(BuildError) as raised:
        find_builder("far-farm")
    assert "buildx knows it but cannot reach it" in str(raised.value)
    assert "nothing.sock" in str(raised.value)


def test_verify_reports_the_builder_as_a_check(docker_config: Path) -> None:
    failed = builder_check("no-such-farm")
    assert failed.outcome == "FAILED" and failed.what == "buildx builder no-such-farm"
    assert failed.why.startswith("no such buildx builder") and "docker buildx ls" in failed.why


def test_the_build_sees_the_users_builders_and_contexts(
    docker_config: Path, tmp_path: Path
) -> None:
    _context("build-farm", "unix:///var/run/elsewhere.sock")
    (docker_config / "buildx").mkdir(exist_ok=True)
    private = tmp_path / "private"
    private.mkdir()
    compose_build.share_builders(private)
    assert (private / "contexts").resolve() == (docker_config / "contexts").resolve()
    assert (private / "buildx").resolve() == (docker_config / "buildx").resolve()
    # buildx, asked with the private config, finds the context as a builder
    env = {"DOCKER_CONFIG": str(private), "PATH": "/usr/bin:/bin"}
    answer = subprocess.run(
        [str(find_buildx(docker_config)), "inspect", "build-farm"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert answer.returncode == 0 and "Name:   build-farm" in answer.stdout


def test_compose_names_a_buildx_instance_and_switches_to_a_context(docker_config: Path) -> None:
    buildx = str(find_buildx(docker_config))
    subprocess.run(
        [buildx, "create", "--name", "farm", "--driver", "remote", "tcp://127.0.0.1:9"],
        check=True,
        capture_output=True,
    )
    assert compose_build.builder_arguments("farm") == (("--builder=farm",), None)
    # buildx uses a context's builder only as the current context: Compose switches to it
    assert compose_build.builder_arguments("other-engine") == ((), "other-engine")
    assert compose_build.builder_arguments("default") == ((), None)


def test_a_build_that_fails_outside_any_step_says_composes_last_line() -> None:
    output = compose_build._Output()
    for line in (
        '#0 building with "default" instance using docker driver',
        'use `docker --context=farm buildx` to switch to context "farm"',
    ):
        output.add(line)
    message = output.failure({"services": {"web": {"build": {"context": "app"}}}})
    assert message.endswith(
        'failed at the build: use `docker --context=farm buildx` to switch to context "farm"'
    )
