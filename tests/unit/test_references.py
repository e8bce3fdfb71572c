"""What a revision refers to (compose/references.py), and how each answer becomes OK, SKIP or
FAILED (aws/references.py; botocore's Stubber only for the access denied the stack's moto does
not give without IAM enforcement)."""

from __future__ import annotations

from botocore.stub import Stubber

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.aws.references import FAILED, OK, SKIP, check, target_checks
from compose_ecs_deploy.compose.references import (
    CREATES_GROUP,
    Reference,
    image_reference,
    references,
)

ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf"
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/shop"
REQUEST = {
    "family": "shop",
    "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
    "taskRoleArn": "arn:aws:iam::123456789012:role/exec",
    "containerDefinitions": [
        {
            "name": "app",
            "image": f"{ECR}:v1@sha256:{'b' * 64}",
            "secrets": [
                {"name": "DB", "valueFrom": f"{ARN}:url::"},
                {
                    "name": "KEY",
                    "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/key",
                },
                {"name": "PLAIN", "valueFrom": "shop-plain"},
            ],
            "logConfiguration": {
                "logDriver": "awsfirelens",
                "secretOptions": [{"name": "apikey", "valueFrom": ARN}],
            },
        },
        {"name": "built", "image": "shop-built:sha"},
        {"name": "hub", "image": "nginx:1.27"},
        {
            "name": "logs",
            "image": f"{ECR}",
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/shop", "awslogs-region": "eu-west-2"},
            },
        },
        {
            "name": "made",
            "image": f"{ECR}@sha256:{'c' * 64}",
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/made", "awslogs-create-group": "true"},
            },
        },
    ],
    "volumes": [{"name": "u", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}],
}


def test_every_reference_once_with_its_region_and_where() -> None:
    found, skipped = references(REQUEST, built=["shop-built:sha"], region="eu-west-1")
    assert [(r.kind, r.name, r.region) for r in found] == [
        ("role", "arn:aws:iam::123456789012:role/exec", None),
        ("secret", ARN, "eu-west-1"),  # the json-key suffix cut; the log option's is the same
        ("parameter", "/shop/key", "eu-west-1"),
        ("parameter", "shop-plain", None),
        ("log-group", "/shop", "eu-west-2"),
        ("image", f"{ECR}:v1@sha256:{'b' * 64}", "eu-west-1"),
        ("image", ECR, "eu-west-1"),
        ("image", f"{ECR}@sha256:{'c' * 64}", "eu-west-1"),
        ("file-system", "fs-1", None),
    ]
    images = [r for r in found if r.kind == "image"]
    assert [(r.repository, r.tag, r.digest[:8]) for r in images] == [
        ("team/shop", "v1", "sha256:b"), ("team/shop", "latest", ""), ("team/shop", "", "sha256:c"),
    ]  # fmt: skip
    assert found[1].where == "app: secret DB"
    assert skipped == [
        ("image shop-built:sha", "built and pushed by this run"),
        ("image nginx:1.27", "not in ECR; not checked"),
        ("log group /made", CREATES_GROUP),
    ]


def test_a_denied_read_is_skip_with_the_action_to_add_and_a_missing_one_failed() -> None:
    aws = Aws("eu-west-1", max_retries=0)
    iam = aws.client("iam")
    role = Reference("role", "arn:aws:iam::123456789012:role/exec", None, "execution role")
    gone = Reference("role", "arn:aws:iam::123456789012:role/gone", None, "task role")
    with Stubber(iam) as stub:
        stub.add_client_error("get_role", "AccessDenied", "not authorized", 403)
        stub.add_client_error("get_role", "NoSuchEntity", "The role cannot be found", 404)
        first = check(aws, [role])
        second = check(aws, [gone])
    assert [c.outcome for c in first + second] == [SKIP, FAILED]
    assert "may not call iam:GetRole" in first[0].why and "OptionalVerify" in first[0].why
    assert second[0].why.startswith("does not exist (NoSuchEntity)")


def test_parameters_are_read_ten_a_call_and_never_decrypted() -> None:
    aws = Aws("eu-west-1", max_retries=0)
    names = [f"/p/{n}" for n in range(12)]
    refs = [Reference("parameter", n, None, "app") for n in names]
    with Stubber(aws.client("ssm")) as stub:
        stub.add_response(
            "get_parameters",
            {"Parameters": [], "InvalidParameters": ["/p/3"]},
            {"Names": names[:10], "WithDecryption": False},
        )
        stub.add_response(
            "get_parameters", {"Parameters": []}, {"Names": names[10:], "WithDecryption": False}
        )
        checks = check(aws, refs)
    assert [c.outcome for c in checks] == [OK] * 3 + [FAILED] + [OK] * 8


def test_a_parameter_the_plan_found_is_ok_without_a_second_read_and_keeps_its_place() -> None:
    """A bare name was looked up by the plan (aws/parameters.py) before verify: not again."""
    aws = Aws("eu-west-1", max_retries=0)
    role = Reference("role", "arn:aws:iam::123456789012:role/exec", None, "execution role")
    bare = Reference("parameter", "shop-db", None, "app: secret DB")
    path = Reference("parameter", "/shop/key", None, "app: secret KEY")
    with Stubber(aws.client("ssm")) as ssm, Stubber(aws.client("iam")) as iam:
        iam.add_response(
            "get_role",
            {"Role": {"Path": "/", "RoleName": "exec", "RoleId": "AROAEXAMPLE0000000000",
                      "Arn": role.name, "CreateDate": "2026-01-01T00:00:00Z"}},
        )  # fmt: skip
        ssm.add_response(
            "get_parameters", {"Parameters": []}, {"Names": ["/shop/key"], "WithDecryption": False}
        )
        checks = check(aws, [role, bare, path], found=frozenset({("parameter", "shop-db")}))
        ssm.assert_no_pending_responses()
    assert [(c.outcome, c.reference) for c in checks] == [(OK, role), (OK, bare), (OK, path)]


def test_the_verify_verb_judges_the_services_on_the_plans_answers() -> None:
    """DescribeClusters is read; the services are not described again."""
    aws = Aws("eu-west-1", max_retries=0)
    with Stubber(aws.client("ecs")) as ecs:
        ecs.add_response(
            "describe_clusters", {"clusters": [{"clusterName": "shop", "status": "ACTIVE"}]}
        )
        checks = target_checks(
            aws, "shop", {"web": {"status": "ACTIVE"}, "old": {"status": "DRAINING"}}
        )
        ecs.assert_no_pending_responses()
    assert [c.line() for c in checks] == [
        "OK     cluster shop",
        "OK     service web",
        "FAILED service old: does not exist in cluster shop or is not ACTIVE; check --ecs-service",
    ]


def test_a_missing_image_in_a_pull_through_cache_repository_is_skip() -> None:
    """ECR creates a pull through cache's repository and image at the first pull (ECR User
    Guide, pull through cache rules; a prefix always ends in `/`): missing now is no failure.
    A repository outside every rule stays FAILED, as does one when the rules cannot be read."""
    aws = Aws("eu-west-1", max_retries=0)
    registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    cached = image_reference(f"{registry}/docker-hub/library/nginx:1.27", "web")
    own = image_reference(f"{registry}/docker-hubx/app:1", "app")  # not under docker-hub/
    assert cached is not None and own is not None
    rules = {"pullThroughCacheRules": [
        {"ecrRepositoryPrefix": "ecr-public", "upstreamRegistryUrl": "public.ecr.aws"},
        {"ecrRepositoryPrefix": "docker-hub", "upstreamRegistryUrl": "registry-1.docker.io"},
    ]}  # fmt: skip
    with Stubber(aws.client("ecr", region="eu-west-1")) as ecr:
        for _ in (cached, own):
            ecr.add_client_error("describe_images", "ImageNotFoundException", "not found", 400)
            ecr.add_response(
                "describe_pull_through_cache_rules", rules, {"registryId": "123456789012"}
            )
        first = check(aws, [cached])
        second = check(aws, [own])
        ecr.add_client_error("describe_images", "RepositoryNotFoundException", "no repo", 400)
        ecr.add_client_error("describe_pull_through_cache_rules", "AccessDeniedException", "", 400)
        third = check(aws, [cached])
        ecr.assert_no_pending_responses()
    assert [c.outcome for c in first + second + third] == [SKIP, FAILED, FAILED]
    assert "pull through cache" in first[0].why


def test_a_parameter_by_arn_is_asked_for_by_its_arn() -> None:
    """A parameter shared from another account is found only by its full ARN (API reference,
    GetParameters, Names); a parameter of one's own by its ARN too. The line names it in SSM's
    canonical form (a single name without its slash)."""
    shared = "arn:aws:ssm:eu-west-1:210987654321:parameter/db_password"
    own = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/gone"
    request = {"containerDefinitions": [{"name": "app", "image": "x", "secrets": [
        {"name": "A", "valueFrom": shared}, {"name": "B", "valueFrom": own},
    ]}]}  # fmt: skip
    found, _ = references(request)
    aws = Aws("eu-west-1", max_retries=0)
    with Stubber(aws.client("ssm", region="eu-west-1")) as stub:
        stub.add_response(
            "get_parameters",
            {"Parameters": [], "InvalidParameters": [own]},
            {"Names": [shared, own], "WithDecryption": False},
        )
        checks = check(aws, found)
        stub.assert_no_pending_responses()
    assert [(c.outcome, c.what) for c in checks] == [
        (OK, "SSM parameter db_password (app: secret A)"),
        (FAILED, "SSM parameter /shop/gone (app: secret B)"),
    ]
