"""Real public compose files render as recorded: every service, and the app services alone.

Each project under tests/fixtures/public/ is a public repository's compose file, as its
maintainers wrote it (repository, path and commit in that folder's README), with the env
files it needs. Each `renders/<variant>/` is one render: `args.txt` (the options, one a
line), `expected-diagnostics.txt` (stderr, line by line) and, when the render succeeds,
`expected-task-definition.json`. Without that file the render must be refused, with exactly
the recorded errors: a refusal is recorded only where the README defends it.

As in test_corpus, a case fails on any difference in what users read: a new or lost notice
is a change to look at, and the golden files change with it on purpose. Every project runs
on the same minimal base (`public/base.json`: the two roles a platform team's Terraform
would make), as a deploy onto an existing service would.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

PUBLIC = Path(__file__).resolve().parents[1] / "fixtures" / "public"
RENDERS = sorted(
    (case.parent.parent.name, case.name)
    for case in PUBLIC.glob("*/renders/*")
    if (case / "args.txt").is_file()
)


def test_the_public_corpus_has_ten_projects_rendered_both_ways() -> None:
    projects = {project for project, _ in RENDERS}
    assert len(projects) >= 10
    for project in projects:
        assert {(project, "all"), (project, "app")} <= set(RENDERS)
        assert (PUBLIC / project / "README.md").is_file(), f"{project}: record its source"


@pytest.mark.parametrize(("project", "variant"), RENDERS)
def test_public_project_renders_as_recorded(
    project: str, variant: str, tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("COMPOSE_FILE", "COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME"):
        monkeypatch.delenv(name, raising=False)
    copy = tmp_path / project
    shutil.copytree(PUBLIC / project, copy, ignore=shutil.ignore_patterns("renders"))
    shutil.copy(PUBLIC / "base.json", copy / "base.json")
    monkeypatch.chdir(copy)
    case = PUBLIC / project / "renders" / variant
    result = run_cli("render", *(case / "args.txt").read_text().splitlines())
    assert result.err.splitlines() == (case / "expected-diagnostics.txt").read_text().splitlines()
    golden = case / "expected-task-definition.json"
    if golden.is_file():
        assert result.code == 0
        assert result.request == json.loads(golden.read_text())
    else:
        assert result.code == 1
        assert result.out == ""
