"""Every project in tests/fixtures/ renders to its golden request, saying exactly what it says.

As kompose's golden fixtures do, a case fails on any difference: a new or lost error, notice
or warning is a change in what users read, and must be looked at (and the golden updated)
on purpose. Each case is a folder: the compose files and what they read, `args.txt` (the
render options, one a line), `expected-diagnostics.txt` (stderr, line by line) and
`expected-task-definition.json`. The folder is copied under its own name, so that the
project name (and the family that defaults to it) is the same wherever the tests run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = sorted(path.name for path in FIXTURES.iterdir() if (path / "args.txt").is_file())


def test_the_corpus_has_the_real_world_shapes() -> None:
    assert {"django-celery", "rails-sidekiq", "node-worker", "file-secrets"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_fixture_renders_to_its_golden_files(
    case: str, tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("COMPOSE_FILE", "COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME"):
        monkeypatch.delenv(variable, raising=False)
    copy = tmp_path / case
    shutil.copytree(FIXTURES / case, copy)
    monkeypatch.chdir(copy)
    args = (copy / "args.txt").read_text().splitlines()
    result = run_cli("render", *args)
    expected = (copy / "expected-diagnostics.txt").read_text().splitlines()
    assert result.err.splitlines() == expected
    assert result.code == 0
    assert result.request == json.loads((copy / "expected-task-definition.json").read_text())
