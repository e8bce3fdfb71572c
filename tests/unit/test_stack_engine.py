"""The stack's engine install (tests/support/stack.py): the pinned second apt source, and the
fallback when Docker from forky cannot be had. apt itself is replaced: nothing is installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import stack as stack_mod


def test_the_pin_keeps_every_forky_package_below_debian_12s_own() -> None:
    lines = dict(
        line.split(": ", 1)
        for line in stack_mod.apt_pin_text().splitlines()
        if ": " in line and not line.startswith("#")
    )
    assert lines == {"Package": "*", "Pin": "release n=forky", "Pin-Priority": "100"}
    assert int(lines["Pin-Priority"]) < 500  # Debian 12's own suite
    source = stack_mod.apt_source_text("http://deb.debian.org/debian")
    assert "Suites: forky\n" in source and f"Signed-By: {stack_mod.APT_KEYRING}\n" in source


@pytest.fixture
def apt_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    source, pin = tmp_path / "forky.sources", tmp_path / "forky.pin"
    monkeypatch.setattr(stack_mod, "APT_SOURCE", source)
    monkeypatch.setattr(stack_mod, "APT_PIN", pin)
    monkeypatch.setattr(stack_mod, "forky_engine_installed", lambda: False)
    monkeypatch.setattr(stack_mod.os, "geteuid", lambda: 0)
    monkeypatch.setattr(stack_mod, "_apt_candidate_in_suite", lambda package, suite: True)
    return source, pin


def test_installs_exactly_the_two_packages_from_forky_never_the_whole_suite(
    apt_files: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: list[list[str]] = []
    monkeypatch.setattr(stack_mod, "_run", lambda argv, **_: commands.append(argv) or "")
    monkeypatch.setattr(
        stack_mod, "forky_engine_installed", lambda: any("install" in c for c in commands)
    )
    stack_mod.install_forky_engine(lambda _: None, stack_mod.Paths(tmp_path), "http://mirror")
    assert commands == [
        [
            "apt-get",
            "install",
            "-y",
            "--no-install-recommends",
            "docker.io/forky",
            "docker-buildx/forky",
        ]
    ]
    assert all("-t" not in c for c in commands)
    assert apt_files[0].read_text() == stack_mod.apt_source_text("http://mirror")
    assert apt_files[1].read_text() == stack_mod.apt_pin_text()


def test_when_forky_cannot_be_had_it_says_so_removes_its_source_and_falls_back(
    apt_files: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_forky(argv: list[str], **_: object) -> str:
        raise stack_mod.StackError(
            "apt-get install failed (exit 100): E: Release 'forky' for 'docker.io' was not found"
        )

    monkeypatch.setattr(stack_mod, "_run", no_forky)
    said: list[str] = []
    settings = stack_mod.Settings.from_env({"STACK_STATE_DIR": str(tmp_path)})
    stack_mod.ensure_engine(said.append, settings, stack_mod.Paths(tmp_path))
    assert not apt_files[0].exists() and not apt_files[1].exists()
    assert [line for line in said if line.startswith("engine: ")] == [
        "engine: Docker from forky could not be installed (apt-get install failed (exit 100): "
        "E: Release 'forky' for 'docker.io' was not found); falling back to "
        f"{stack_mod._host_codename()}'s docker.io"
    ]


def test_stack_engine_debian_leaves_the_packages_alone(
    apt_files: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack_mod, "_run", lambda argv, **_: pytest.fail(f"ran {argv}"))
    settings = stack_mod.Settings.from_env(
        {"STACK_STATE_DIR": str(tmp_path), "STACK_ENGINE": "debian"}
    )
    stack_mod.ensure_engine(lambda _: None, settings, stack_mod.Paths(tmp_path))
    assert not apt_files[0].exists()
