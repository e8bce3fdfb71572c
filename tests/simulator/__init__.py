"""Tests of the ECS rollout simulator (tests/support/ecs_simulator.py) over HTTP."""
