"""The day-two verbs' command line (faces/day_two.py over faces/shared_options.py): what each
option sets, and the options each verb shares with the others (--debug after the verb,
--region, the target)."""

from __future__ import annotations

import pytest

from compose_ecs_deploy.faces.cli import build_parser, settings_from_args
from compose_ecs_deploy.settings import Settings

TARGET = ["--cluster", "c", "--ecs-service", "web", "--region", "eu-west-1"]


def _settings(*words: str) -> Settings:
    return settings_from_args(build_parser().parse_args(list(words)))


def test_rollback_options() -> None:
    plain = _settings("rollback", *TARGET)
    assert (plain.rollback_to, plain.wait, plain.wait_timeout_minutes) == (None, True, 15.0)
    assert (plain.poll_interval, plain.max_poll_interval, plain.dry_run) == (5.0, 15.0, False)
    given = _settings(
        "rollback", *TARGET, "--to", "shop:7", "--no-wait", "--wait-timeout", "3",
        "--poll-interval", "20", "--dry-run",
    )  # fmt: skip
    assert (given.rollback_to, given.wait, given.wait_timeout_minutes) == ("shop:7", False, 3.0)
    assert (given.poll_interval, given.max_poll_interval, given.dry_run) == (20.0, 20.0, True)


def test_status_prune_and_init_options() -> None:
    assert _settings("status", *TARGET).status_json is False
    assert _settings("status", *TARGET, "--json").status_json is True
    prune = _settings("prune", *TARGET, "--keep", "10")
    assert (prune.prune_keep, prune.prune_delete, prune.dry_run) == (10, False, False)
    prune = _settings("prune", *TARGET, "--keep", "3", "--delete", "--dry-run")
    assert (prune.prune_keep, prune.prune_delete, prune.dry_run) == (3, True, True)
    assert _settings("init", *TARGET, "-o", "out.yaml").init_output == "out.yaml"
    assert _settings("init", *TARGET, "--output", "o.yaml").init_output == "o.yaml"


@pytest.mark.parametrize(
    ("verb", "own"),
    [("rollback", []), ("status", []), ("prune", ["--keep", "1"]), ("init", ["-o", "f"])],
)
def test_every_day_two_verb_takes_the_target_region_and_debug(verb: str, own: list[str]) -> None:
    args = build_parser().parse_args(
        [verb, "--debug", "--cluster", "shop", "--ecs-service", "web", "--region", "us-west-2",
         "--max-retries", "2", "--throttle-timeout", "4", *own]
    )  # fmt: skip
    assert args.debug is True
    settings = settings_from_args(args)
    assert (settings.cluster, settings.ecs_services, settings.region) == (
        "shop",
        ("web",),
        "us-west-2",
    )
    assert (settings.max_retries, settings.throttle_timeout_minutes) == (2, 4.0)
    assert settings.compose_files == ()  # these verbs read no compose file


@pytest.mark.parametrize(
    "words",
    [
        ["rollback", "--ecs-service", "web"],  # no cluster
        ["status", "--cluster", "c"],  # no service
        ["prune", *TARGET],  # no --keep
        ["init", *TARGET],  # no -o
        ["status", *TARGET, "--keep", "1"],  # prune's option
    ],
)
def test_a_missing_required_option_or_another_verbs_option_is_a_usage_error(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(words)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err
