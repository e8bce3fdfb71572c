"""The release's rewrite of action.yml (scripts/pin_action_image.py), run as the workflow runs
it, on a copy of the real action.yml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "pin_action_image.py"
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
DIGEST = "sha256:" + "0123456789abcdef" * 4
IMAGE = f"ghcr.io/org/compose-ecs-deploy@{DIGEST}"


def pin(path: Path, reference: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(path), reference],
        capture_output=True,
        text=True,
        check=False,
    )


def test_main_keeps_the_dockerfile() -> None:
    assert yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["image"] == "Dockerfile"


def test_the_release_workflow_calls_the_script_this_test_runs() -> None:
    steps = [
        step
        for job in yaml.safe_load(RELEASE.read_text())["jobs"].values()
        for step in job["steps"]
    ]
    runs = [step.get("run", "") for step in steps]
    assert any(
        'python3 scripts/pin_action_image.py action.yml "ghcr.io/${REPOSITORY,,}@${DIGEST}"' in run
        for run in runs
    )


def test_the_copy_runs_the_image_pinned_by_digest_and_nothing_else_changes(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    shutil.copy(ROOT / "action.yml", action)
    before = action.read_text()
    result = pin(action, IMAGE)
    assert result.returncode == 0, result.stderr
    after = action.read_text()
    changed = [
        (old, new)
        for old, new in zip(before.splitlines(), after.splitlines(), strict=True)
        if old != new
    ]
    assert changed == [("  image: Dockerfile", f"  image: docker://{IMAGE}")]
    old, new = yaml.safe_load(before), yaml.safe_load(after)
    assert new["runs"] == {**old["runs"], "image": f"docker://{IMAGE}"}
    assert {k: v for k, v in new.items() if k != "runs"} == {
        k: v for k, v in old.items() if k != "runs"
    }


def test_a_tag_an_uppercase_name_or_a_second_run_is_refused(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    shutil.copy(ROOT / "action.yml", action)
    original = action.read_text()
    for reference in (
        "ghcr.io/org/compose-ecs-deploy:v1",
        "ghcr.io/Org/x@" + DIGEST,
        "ghcr.io/org/x@sha256:abc",
        f"docker://{IMAGE}",
    ):
        result = pin(action, reference)
        assert result.returncode == 1 and result.stderr.startswith("error: "), reference
        assert action.read_text() == original
    assert pin(action, IMAGE).returncode == 0
    again = pin(action, IMAGE)
    assert again.returncode == 1 and "already pinned" in again.stderr


def test_an_image_key_outside_runs_is_left_alone(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    action.write_text(
        "name: x\ninputs:\n  image:\n    default: Dockerfile\n"
        "runs:\n  using: docker\n  # the image\n  image: Dockerfile\n"
        "  args: []\nbranding:\n  image: Dockerfile\n"
    )
    assert pin(action, IMAGE).returncode == 0
    assert yaml.safe_load(action.read_text()) == {
        "name": "x",
        "inputs": {"image": {"default": "Dockerfile"}},
        "runs": {"using": "docker", "image": f"docker://{IMAGE}", "args": []},
        "branding": {"image": "Dockerfile"},
    }
