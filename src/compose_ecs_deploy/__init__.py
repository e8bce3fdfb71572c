"""compose-ecs-deploy: deploy a docker-compose application to Amazon ECS in one step."""

__version__ = "0.1.0"
