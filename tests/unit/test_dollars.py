"""`$$` in compose is a literal `$`: the container gets what `docker compose up` gives it."""

from __future__ import annotations


def test_doubled_dollars_reach_the_container_as_one(compose) -> None:
    result = compose(
        """
        services:
          cache:
            image: redis
            command: sh -c "redis-server --requirepass $$REDIS_PASSWORD"
            entrypoint: ["/bin/sh", "-c", "echo $$HOME"]
            environment:
              SALT: abc$$def
              FOUR: "$$$$"
              DEFAULTED: "${NOT_SET_ANYWHERE:-x$$y}"
            labels:
              price: "5$$"
            healthcheck:
              test: ["CMD-SHELL", "redis-cli -a $$REDIS_PASSWORD ping"]
            x-ecs:
              dockerLabels: {from-x-ecs: "a$$b"}
    """,
        args=("--service", "cache"),
    )
    assert result.code == 0, result.err
    cache = result.container("cache")
    assert cache["command"] == ["sh", "-c", "redis-server --requirepass $REDIS_PASSWORD"]
    assert cache["entryPoint"] == ["/bin/sh", "-c", "echo $HOME"]
    env = {e["name"]: e["value"] for e in cache["environment"]}
    assert env == {"SALT": "abc$def", "FOUR": "$$", "DEFAULTED": "x$y"}
    assert cache["dockerLabels"] == {"from-x-ecs": "a$b"}
    assert cache["healthCheck"]["command"] == ["CMD-SHELL", "redis-cli -a $REDIS_PASSWORD ping"]


def test_doubled_dollars_in_labels_and_top_level_x_ecs(compose) -> None:
    result = compose(
        """
        services:
          app:
            image: app
            labels: {price: "5$$"}
        x-ecs:
          executionRoleArn: arn:aws:iam::123456789012:role/x
          family: "fam"
          tags: [{key: cost, value: "$$0"}]
    """,
        args=("--service", "app"),
    )
    assert result.code == 0, result.err
    assert result.container("app")["dockerLabels"] == {"price": "5$"}
    assert result.request["tags"] == [{"key": "cost", "value": "$0"}]
