"""What the build stage decides from data alone: jobs, repositories, tags, the compose file
the build runs, and the docker config that carries the registry login."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from compose_ecs_deploy.aws.ecr import RegistryLogin
from compose_ecs_deploy.compose.project import Project
from compose_ecs_deploy.errors import InputError
from compose_ecs_deploy.images.build import BuildGroup, build_file, cache_sources, registry_cache
from compose_ecs_deploy.images.compose_build import build_environment, docker_config
from compose_ecs_deploy.images.plan import build_jobs, oci_labels, repository_map, sanitise_tag

PROJECT = Project(
    name="p",
    services={
        "web": {
            "build": {
                "context": "/src",
                "dockerfile": "Dockerfile",
                "target": "runner",
                "args": {"A": "1", "UNSET": None},
                "cache_from": ["repo:cache", "type=gha"],
            }
        },
        "worker": {
            "build": {
                "context": "/src",
                "dockerfile": "Dockerfile",
                "target": "runner",
                "args": {"A": "1", "UNSET": None},
                "cache_from": ["repo:cache", "type=gha"],
            }
        },
        "db": {"image": "postgres"},
    },
)


@pytest.mark.parametrize(
    ("branch", "tag"),
    [
        ("feature/login", "feature-login"),
        ("main", "main"),
        ("v1.2.3", "v1.2.3"),
        ("-x", "x"),
        ("a" * 200, "a" * 128),
        ("...", "latest"),
        ("ünï", "n-"),
    ],
)
def test_sanitise_tag(branch, tag) -> None:
    assert sanitise_tag(branch) == tag


def test_repository_map() -> None:
    assert repository_map(["app"], ["web"]) == {"web": "app"}
    assert repository_map(["web=a", "worker=b"], ["web", "worker"]) == {"web": "a", "worker": "b"}
    with pytest.raises(InputError, match="give SERVICE=REPOSITORY for each"):
        repository_map(["app"], ["web", "worker"])
    with pytest.raises(InputError, match="not SERVICE=REPOSITORY"):
        repository_map(["web="], ["web"])


def test_build_jobs_follow_compose_and_skip_given_images() -> None:
    jobs = build_jobs(
        PROJECT,
        ["web", "worker", "db"],
        {"worker": "x:1"},
        ["web=app"],
        {"B": "2"},
        oci_labels("abc", "https://github.com/o/r"),
        None,
    )
    assert [job.service for job in jobs] == ["web"]
    section = jobs[0].section
    assert section["target"] == "runner"
    assert section["args"] == {"A": "1", "UNSET": None, "B": "2"}
    assert section["cache_from"] == ["repo:cache", "type=gha"]
    assert section["labels"] == {
        "org.opencontainers.image.revision": "abc",
        "org.opencontainers.image.source": "https://github.com/o/r",
    }
    assert jobs[0].platform is None


def test_the_platform_option_wins_over_the_build_sections_first_platform() -> None:
    project = Project(
        name="p",
        services={
            "web": {"build": {"context": "/src", "platforms": ["linux/arm64", "linux/amd64"]}}
        },
    )
    chosen = build_jobs(project, ["web"], {}, ["app"], {}, {}, None)[0]
    given = build_jobs(project, ["web"], {}, ["app"], {}, {}, "linux/amd64")[0]
    assert (chosen.platform, given.platform) == ("linux/arm64", "linux/amd64")
    assert "platforms" not in chosen.section
    assert chosen.section_key != given.section_key


def test_identical_build_sections_share_a_key() -> None:
    jobs = build_jobs(PROJECT, ["web", "worker"], {}, ["web=a", "worker=b"], {}, {}, None)
    assert jobs[0].section_key == jobs[1].section_key
    assert jobs[0].repository != jobs[1].repository


def test_a_built_service_needs_a_repository() -> None:
    with pytest.raises(InputError, match="worker has a build section but no ECR repository"):
        build_jobs(PROJECT, ["web", "worker"], {}, ["web=a"], {}, {}, None)


def test_cache_sources_are_the_running_image_then_latest_of_the_same_repository() -> None:
    uri = "1.dkr.ecr.r.amazonaws.com/app"
    assert cache_sources(uri, f"{uri}:old@sha256:abc") == [f"{uri}:old", f"{uri}:latest"]
    assert cache_sources(uri, None) == [f"{uri}:latest"]
    assert cache_sources(uri, f"{uri}:latest") == [f"{uri}:latest"]
    assert cache_sources(uri, "public.ecr.aws/nginx:1") == [f"{uri}:latest"]
    assert cache_sources(uri, f"{uri}-other:1") == [f"{uri}:latest"]


def test_build_file_builds_each_group_once_under_all_its_tags() -> None:
    project = Project(
        name="p",
        services={
            **PROJECT.services,
            "api": {
                "build": {
                    "context": "/api",
                    "tags": ["mine:dev"],
                    "cache_to": ["type=gha"],
                    "secrets": [{"source": "npmrc", "target": "npmrc"}],
                }
            },
        },
        secrets={"npmrc": {"file": "/home/u/.npmrc"}, "unused": {"file": "/x"}},
    )
    web, worker, api = build_jobs(
        project, ["web", "worker", "api"], {}, ["web=a", "worker=b", "api=c"], {}, {}, "linux/amd64"
    )
    twins = BuildGroup(
        (web, worker), ("r/a:sha", "r/a:latest", "r/b:sha", "r/b:latest"), ("r/a:old",)
    )
    alone = BuildGroup((api,), ("r/c:sha",), ())
    document = build_file("p", [twins, alone], project.secrets)
    assert list(document["services"]) == ["web", "api"]
    first = document["services"]["web"]
    assert first["image"] == "r/a:sha" and first["platform"] == "linux/amd64"
    assert first["build"]["tags"] == ["r/a:latest", "r/b:sha", "r/b:latest"]
    assert first["build"]["cache_from"] == ["repo:cache", "type=gha", "r/a:old"]
    assert first["build"]["cache_to"] == ["type=inline"]
    assert first["build"]["target"] == "runner"
    second = document["services"]["api"]["build"]
    assert second["tags"] == [] and second["cache_to"] == ["type=gha"]
    assert document["secrets"] == {"npmrc": {"file": "/home/u/.npmrc"}}
    assert "secrets" not in build_file("p", [twins], project.secrets)


def test_docker_config_adds_the_registry_login_and_keeps_the_users_other_settings() -> None:
    login = RegistryLogin("1.dkr.ecr.r.amazonaws.com", "AWS", "pass", "token")
    existing = {
        "auths": {"ghcr.io": {"auth": "x"}},
        "credsStore": "desktop",
        "credHelpers": {"1.dkr.ecr.r.amazonaws.com": "ecr-login", "gcr.io": "gcloud"},
        "currentContext": "colima",
        "proxies": {"default": {"noProxy": "x"}},
    }
    config = docker_config(login, existing)
    assert "currentContext" not in config
    assert config["proxies"] == existing["proxies"]
    assert base64.b64decode(config["auths"][login.registry]["auth"]) == b"AWS:pass"
    assert config["auths"]["ghcr.io"] == {"auth": "x"}
    assert config["credHelpers"] == {"gcr.io": "gcloud"}
    assert config["credsStore"] == "desktop"
    assert "credHelpers" not in docker_config(login, {"credHelpers": {login.registry: "ecr-login"}})
    assert existing["credHelpers"]["1.dkr.ecr.r.amazonaws.com"] == "ecr-login"


def test_docker_config_keeps_the_users_plugin_folder_visible(tmp_path: Path) -> None:
    """Our private DOCKER_CONFIG would hide a buildx installed in ~/.docker/cli-plugins."""
    login = RegistryLogin("1.dkr.ecr.r.amazonaws.com", "AWS", "pass", "token")
    plugins = tmp_path / "cli-plugins"
    config = docker_config(login, {"cliPluginsExtraDirs": ["/opt/plugins"]}, plugins)
    assert config["cliPluginsExtraDirs"] == ["/opt/plugins", str(plugins)]
    assert "cliPluginsExtraDirs" not in docker_config(login, {})


def test_compose_always_builds_through_bake_with_the_default_builder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUILDX_BUILDER", "a-builder-of-another-job")
    monkeypatch.setenv("COMPOSE_BAKE", "false")
    environment = build_environment(tmp_path)
    assert environment["COMPOSE_BAKE"] == "true"
    assert environment["DOCKER_CONFIG"] == str(tmp_path)
    assert "BUILDX_BUILDER" not in environment


def test_registry_cache_writes_every_stage_to_repo_buildcache_unless_the_section_has_its_own() -> (
    None
):
    uri = "1.dkr.ecr.r.amazonaws.com/app"
    cache_from, cache_to = registry_cache(uri)
    assert cache_from == f"type=registry,ref={uri}:buildcache"
    assert cache_to == (
        f"type=registry,ref={uri}:buildcache,mode=max,image-manifest=true,oci-mediatypes=true"
    )
    project = Project(
        name="p",
        services={
            "web": {"build": {"context": "/web"}},
            "api": {"build": {"context": "/api", "cache_to": ["type=local,dest=/c"]}},
        },
    )
    web, api = build_jobs(project, ["web", "api"], {}, ["web=a", "api=b"], {}, {}, None)
    document = build_file(
        "p",
        [
            BuildGroup((web,), (f"{uri}:sha",), (cache_from,), (cache_to,)),
            BuildGroup((api,), ("b:sha",), (), (cache_to,)),
        ],
        {},
    )
    assert document["services"]["web"]["build"]["cache_from"] == [cache_from]
    assert document["services"]["web"]["build"]["cache_to"] == [cache_to]
    assert document["services"]["api"]["build"]["cache_to"] == ["type=local,dest=/c"]


def test_the_deploy_passes_registry_cache_on_to_the_build() -> None:
    from compose_ecs_deploy.settings import Settings
    from compose_ecs_deploy.verbs.deploy import build_options

    assert build_options(Settings((), registry_cache=True, image_tag="sha")).registry_cache
    assert not build_options(Settings((), image_tag="sha")).registry_cache
