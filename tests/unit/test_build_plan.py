"""What the build stage decides from data alone: jobs, repositories, tags, the buildx call."""

from __future__ import annotations

import pytest

from compose_ecs_deploy.adapters.images import buildx_command
from compose_ecs_deploy.build import build_jobs, oci_labels, repository_map, sanitise_tag
from compose_ecs_deploy.build_spec import BuildSpec
from compose_ecs_deploy.core.project import Project
from compose_ecs_deploy.errors import InputError

PROJECT = Project(name="p", services={
    "web": {"build": {"context": "/src", "dockerfile": "Dockerfile", "target": "runner",
                      "args": {"A": "1", "UNSET": None}, "cache_from": ["repo:cache",
                                                                       "type=gha"]}},
    "worker": {"build": {"context": "/src", "dockerfile": "Dockerfile", "target": "runner",
                         "args": {"A": "1", "UNSET": None},
                         "cache_from": ["repo:cache", "type=gha"]}},
    "db": {"image": "postgres"},
})


@pytest.mark.parametrize(("branch", "tag"), [
    ("feature/login", "feature-login"), ("main", "main"), ("v1.2.3", "v1.2.3"),
    ("-x", "x"), ("a" * 200, "a" * 128), ("...", "latest"), ("ünï", "n-")])
def test_sanitise_tag(branch, tag) -> None:
    assert sanitise_tag(branch) == tag


def test_repository_map() -> None:
    assert repository_map(["app"], ["web"]) == {"web": "app"}
    assert repository_map(["web=a", "worker=b"], ["web", "worker"]) == {"web": "a",
                                                                        "worker": "b"}
    with pytest.raises(InputError, match="give SERVICE=REPOSITORY for each"):
        repository_map(["app"], ["web", "worker"])
    with pytest.raises(InputError, match="not SERVICE=REPOSITORY"):
        repository_map(["web="], ["web"])


def test_build_jobs_follow_compose_and_skip_given_images() -> None:
    jobs = build_jobs(PROJECT, ["web", "worker", "db"], {"worker": "x:1"}, ["web=app"],
                      {"B": "2"}, oci_labels("abc", "https://github.com/o/r"), None)
    assert [job.service for job in jobs] == ["web"]
    spec = jobs[0].spec
    assert spec.target == "runner"
    assert spec.args == {"A": "1", "B": "2"}
    assert spec.cache_from == ("repo:cache",)
    assert spec.labels == {"org.opencontainers.image.revision": "abc",
                           "org.opencontainers.image.source": "https://github.com/o/r"}


def test_identical_build_sections_share_a_key() -> None:
    jobs = build_jobs(PROJECT, ["web", "worker"], {}, ["web=a", "worker=b"], {}, {}, None)
    assert jobs[0].spec_key == jobs[1].spec_key
    assert jobs[0].repository != jobs[1].repository


def test_a_built_service_needs_a_repository() -> None:
    with pytest.raises(InputError, match="worker has a build section but no ECR repository"):
        build_jobs(PROJECT, ["web", "worker"], {}, ["web=a"], {}, {}, None)


def test_buildx_command_pushes_with_registry_cache_and_no_provenance() -> None:
    spec = BuildSpec(context="/src", dockerfile="docker/Dockerfile", target="runner",
                     args={"A": "1"}, labels={"l": "v"}, cache_from=("r/app:latest",),
                     platform="linux/arm64")
    argv = buildx_command(spec, ["r/app:sha", "r/app:latest"], "r/app:buildcache", "/tmp/m")
    assert argv[:5] == ["docker", "buildx", "build", "--push", "--provenance=false"]
    pairs = list(zip(argv[5::2], argv[6::2], strict=False))
    assert ("--file", "/src/docker/Dockerfile") in pairs
    assert ("--metadata-file", "/tmp/m") in pairs
    assert argv.count("--tag") == 2 and "r/app:latest" in argv
    assert ("--target", "runner") in pairs and ("--platform", "linux/arm64") in pairs
    assert "--build-arg" in argv and "A=1" in argv and "l=v" in argv
    assert "type=registry,ref=r/app:latest" in argv
    assert "type=registry,ref=r/app:buildcache" in argv
    assert ("type=registry,ref=r/app:buildcache,mode=max,image-manifest=true,"
            "oci-mediatypes=true") in argv
    assert argv[-1] == "/src"
