"""The AppSpec a CodeDeploy deployment gets: filled like the official action fills it, carried
over from the service like ecspresso, checked before any write (hostile files included)."""

from __future__ import annotations

from typing import Any

import pytest

from compose_ecs_deploy.rollout.verdicts.codedeploy_appspec import build, is_placeholder

REVISION = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
SERVICE: dict[str, Any] = {
    "loadBalancers": [
        {
            "targetGroupArn": "arn:aws:elasticloadbalancing:tg/blue",
            "containerName": "app",
            "containerPort": 8000,
        }
    ],
    "platformVersion": "1.4.0",
    "networkConfiguration": {
        "awsvpcConfiguration": {
            "subnets": ["subnet-a", "subnet-b"],
            "securityGroups": ["sg-1"],
            "assignPublicIp": "DISABLED",
        }
    },
    "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 2, "base": 1}],
}
CONTAINERS = [{"name": "app", "portMappings": [{"containerPort": 8000}]}, {"name": "worker"}]


def _build(user: Any, service: dict[str, Any] = SERVICE, containers: Any = CONTAINERS) -> Any:
    return build(
        user, revision=REVISION, service_name="web", service=service, containers=containers
    )


def _properties(spec: dict[str, Any]) -> dict[str, Any]:
    ((_, target),) = spec["Resources"][0].items()
    return dict(target["Properties"])


def test_without_a_file_the_appspec_comes_from_the_service_and_the_revision() -> None:
    spec, problems = _build(None)
    assert problems == []
    assert spec["version"] == 0.0 and "Hooks" not in spec
    assert spec["Resources"][0]["TargetService"]["Type"] == "AWS::ECS::Service"
    assert _properties(spec) == {
        "TaskDefinition": REVISION,
        "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 8000},
        "PlatformVersion": "1.4.0",
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "Subnets": ["subnet-a", "subnet-b"],
                "SecurityGroups": ["sg-1"],
                "AssignPublicIp": "DISABLED",
            }
        },
        "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Base": 1, "Weight": 2}],
    }


def test_a_users_appspec_keeps_its_hooks_and_gets_its_placeholders_filled() -> None:
    user = {
        "version": 0.0,
        "Resources": [
            {
                "TargetService": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {
                        "TaskDefinition": "<TASK_DEFINITION>",
                        "LoadBalancerInfo": {
                            "ContainerName": "<CONTAINER_NAME>",
                            "ContainerPort": "<PORT>",
                        },
                        "PlatformVersion": "LATEST",
                    },
                }
            }
        ],
        "Hooks": [
            {"BeforeInstall": "arn:aws:lambda:us-east-1:123456789012:function:pre"},
            {"AfterAllowTestTraffic": "CheckTestTraffic"},
        ],
    }
    spec, problems = _build(user)
    assert problems == []
    assert spec["Hooks"] == user["Hooks"]
    props = _properties(spec)
    assert props["TaskDefinition"] == REVISION
    assert props["LoadBalancerInfo"] == {"ContainerName": "app", "ContainerPort": 8000}
    assert props["PlatformVersion"] == "LATEST"  # the user's value wins over the service's


def test_keys_are_matched_in_any_case_like_the_official_action() -> None:
    user = {
        "resources": [
            {
                "myService": {
                    "type": "AWS::ECS::Service",
                    "properties": {
                        "taskdefinition": "x",
                        "loadbalancerinfo": {"containername": "app", "containerport": 8000},
                    },
                }
            }
        ],
        "hooks": [{"AfterInstall": "fn"}],
    }
    spec, problems = _build(user, service={})
    assert problems == []
    assert _properties(spec)["TaskDefinition"] == REVISION
    assert list(spec["Resources"][0]) == ["myService"] and spec["Hooks"] == [{"AfterInstall": "fn"}]


def test_a_hook_on_an_event_that_takes_none_is_an_error_naming_the_five() -> None:
    _, problems = _build(
        {"Hooks": [{"Install": "fn"}, {"AllowTraffic": "fn"}, {"ApplicationStart": "fn"}]}
    )
    fields = [p.field for p in problems]
    assert fields == ["Hooks[0].Install", "Hooks[1].AllowTraffic", "Hooks[2].ApplicationStart"]
    assert "cannot be scripted" in problems[0].message
    assert "BeforeInstall, AfterInstall, AfterAllowTestTraffic" in problems[0].message
    assert "no ECS lifecycle event" in problems[2].message


@pytest.mark.parametrize(
    "hooks",
    [
        {"BeforeInstall": "fn"},  # the mapping form: not the documented list
        ["BeforeInstall"],
        [{"BeforeInstall": "fn", "AfterInstall": "fn"}],
        [{"BeforeInstall": ""}],
        [{"BeforeInstall": "<HOOK>"}],
        [{"BeforeInstall": 12}],
    ],
)
def test_malformed_hooks_are_errors(hooks: Any) -> None:
    _spec, problems = _build({"Hooks": hooks})
    assert len(problems) == 1 and problems[0].field and problems[0].field.startswith("Hooks")
    assert problems[0].service == "web" and problems[0].severity == "error"


@pytest.mark.parametrize(
    ("user", "field"),
    [
        ({"Resources": "x"}, "Resources"),
        ({"Resources": [{"a": {}}, {"b": {}}]}, "Resources"),
        ({"Resources": [["x"]]}, "Resources[0]"),
        ({"Resources": [{"T": "scalar"}]}, "Resources[0].T"),
        ({"Resources": [{"T": {"Type": "AWS::Lambda::Function"}}]}, "Resources[0].T.Type"),
        ({"Resources": [{"T": {"Properties": {"Bogus": 1}}}]}, "Resources[0].T.Properties.Bogus"),
        ({"Resources": [{"T": {"Properties": []}}]}, "Resources[0].T.Properties"),
        ({"version": 1.0}, "version"),
        ({"files": []}, "files"),
        (
            {
                "Resources": [
                    {
                        "T": {
                            "Properties": {
                                "LoadBalancerInfo": {
                                    "ContainerName": "app",
                                    "ContainerPort": "http",
                                }
                            }
                        }
                    }
                ]
            },
            "Resources[0].T.Properties.LoadBalancerInfo.ContainerPort",
        ),
        (
            {"Resources": [{"T": {"Properties": {"LoadBalancerInfo": "app:8000"}}}]},
            "Resources[0].T.Properties.LoadBalancerInfo",
        ),
    ],
)
def test_a_malformed_appspec_names_the_key(user: Any, field: str) -> None:
    _, problems = _build(user)
    assert [p.field for p in problems] == [field]


@pytest.mark.parametrize("user", [["a list"], "a string", 42])
def test_an_appspec_that_is_not_a_mapping_is_one_error(user: Any) -> None:
    spec, problems = _build(user)
    assert spec == {} and len(problems) == 1


def test_the_container_and_port_must_be_in_the_new_revision() -> None:
    _, problems = _build(
        None, containers=[{"name": "app", "portMappings": [{"containerPort": 3000}]}]
    )
    assert len(problems) == 1
    assert "port 8000" in problems[0].message and "3000" in problems[0].message
    _, problems = _build(None, containers=[{"name": "web"}])
    assert "container app" in problems[0].message and "web" in problems[0].message


def test_a_service_without_a_load_balancer_needs_one_in_the_file() -> None:
    service = {k: v for k, v in SERVICE.items() if k != "loadBalancers"}
    _, problems = _build(None, service=service)
    assert len(problems) == 1 and "load balancer" in problems[0].message
    spec, problems = _build(
        {
            "Resources": [
                {
                    "TargetService": {
                        "Properties": {
                            "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 8000}
                        }
                    }
                }
            ]
        },
        service=service,
    )
    assert problems == [] and _properties(spec)["LoadBalancerInfo"]["ContainerPort"] == 8000


@pytest.mark.parametrize("value", [None, "", "<TASK_DEFINITION>", "${TD}", "{{ td }}", " <x> "])
def test_placeholders(value: Any) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["arn:aws:ecs:...:task-definition/web:1", "web", 0, "<a><b>"])
def test_real_values_are_not_placeholders(value: Any) -> None:
    assert not is_placeholder(value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("PlatformVersion", 1.4),
        ("NetworkConfiguration", {"Subnets": ["subnet-a"]}),
        ("NetworkConfiguration", {"AwsvpcConfiguration": {"Subnets": "subnet-a"}}),
        (
            "NetworkConfiguration",
            {"AwsvpcConfiguration": {"Subnets": ["a"], "AssignPublicIp": "yes"}},
        ),
        ("CapacityProviderStrategy", {"CapacityProvider": "FARGATE"}),
        ("CapacityProviderStrategy", [{"CapacityProvider": "FARGATE", "Weight": "2"}]),
    ],
)
def test_optional_properties_given_in_the_file_are_checked(key: str, value: Any) -> None:
    user = {"Resources": [{"TargetService": {"Properties": {key: value}}}]}
    _, problems = _build(user)
    assert len(problems) == 1 and problems[0].field
    assert problems[0].field.startswith(f"Resources[0].TargetService.Properties.{key}")


def test_optional_properties_given_in_the_file_win() -> None:
    network = {"AwsvpcConfiguration": {"Subnets": ["subnet-z"], "AssignPublicIp": "ENABLED"}}
    user = {"Resources": [{"TargetService": {"Properties": {"NetworkConfiguration": network}}}]}
    spec, problems = _build(user)
    assert problems == [] and _properties(spec)["NetworkConfiguration"] == network
