"""What a revision refers to (compose/references.py), and how each answer becomes OK, SKIP or
FAILED (aws/references.py; botocore's Stubber only for the access denied the stack's moto does
not give without IAM enforcement)."""

from __future__ import annotations

from botocore.stub import Stubber

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.aws.references import FAILED, OK, SKIP, check
from compose_ecs_deploy.compose.references import CREATES_GROUP, Reference, references

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
