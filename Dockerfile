# The container action. Every image it starts from is a build ARG with its public default,
# so that it builds where nothing can be pulled (the tests pass local images). It carries
# Python, the package, Docker Compose and the buildx plugin: Compose loads the compose files
# and builds the images through `docker buildx bake` (BuildKit in the runner's engine), the
# only way Compose v5 builds; no docker CLI is needed.
ARG PYTHON_IMAGE=python:3.12-slim
ARG COMPOSE_IMAGE=docker/compose-bin:v5.5.0
ARG BUILDX_IMAGE=docker/buildx-bin:0.29.1

FROM ${BUILDX_IMAGE} AS buildx

FROM ${COMPOSE_IMAGE} AS compose

FROM ${PYTHON_IMAGE} AS install
# PIP_NO_INDEX / PIP_FIND_LINKS let an offline build install from wheels put in .wheels/
# of the context (copied into /src with the project files; the glob may match nothing).
ARG PIP_NO_INDEX=""
ARG PIP_FIND_LINKS=""
WORKDIR /src
COPY pyproject.toml README.md .wheels* ./
COPY src ./src
# botocore ships the model of every AWS service (28 MB); the action calls ECS, ECR, CloudWatch
# Logs (a failed container's last lines), CodeDeploy (CODE_DEPLOY services), IAM, Secrets
# Manager, SSM and EFS (verify's look-ups), and STS/SSO when credentials come from a role or
# a profile. The rest is left out
# (a test in tests/unit/test_action.py keeps this list in step with the code).
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check . \
    && /opt/venv/bin/pip uninstall --yes setuptools pip \
    && find /opt/venv/lib/python3*/site-packages/botocore/data -mindepth 1 -maxdepth 1 \
        -type d ! -name ecs ! -name ecr ! -name logs ! -name codedeploy ! -name iam \
        ! -name secretsmanager ! -name ssm ! -name efs ! -name sts ! -name sso ! -name sso-oidc \
        -exec rm -rf {} +

FROM ${PYTHON_IMAGE}
COPY --from=install /opt/venv /opt/venv
COPY --from=compose /docker-compose /usr/local/bin/docker-compose
COPY --from=buildx /buildx /usr/libexec/docker/cli-plugins/docker-buildx
COPY entrypoint.py /entrypoint.py
# pip compiled the bytecode at install time; keeping it makes a cold start import boto3 in a
# third of the time, and nothing is written at run time.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COMPOSE_ECS_DEPLOY_COMPOSE=/usr/local/bin/docker-compose
ENTRYPOINT ["/opt/venv/bin/python", "/entrypoint.py"]
