"""Loading a project parses each compose file once (loading/compose_cli.py): the bounds
check, the key positions and the profiles share the one node tree. PyYAML's parser is pure
Python, and a 200-service file costs it a fifth of a second a pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.loading import bounded
from compose_ecs_deploy.loading.compose_cli import load_project


def test_each_compose_file_is_parsed_once_and_serves_positions_and_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "compose.yaml"
    base.write_text(
        "services:\n"
        "  app:\n"
        "    image: example/app:1\n"
        "  tools:\n"
        "    image: example/tools:1\n"
        "    profiles: [ops]\n"
    )
    override = tmp_path / "compose.prod.yaml"
    override.write_text("services:\n  app:\n    environment:\n      MODE: prod\n")
    parsed: list[str] = []
    real = bounded.compose

    def counting(text: str, path: str, what: str, *args: Any) -> Any:
        parsed.append(path)
        return real(text, path, what, *args)

    monkeypatch.setattr(bounded, "compose", counting)
    project, _ = load_project([str(base), str(override)])
    assert parsed == [str(base), str(override)]
    assert project.positions["services.app.environment.MODE"] == (str(override), 4)
    assert project.positions["services.app.image"] == (str(base), 3)
    assert project.behind_profiles == {"tools": ("ops",)}
