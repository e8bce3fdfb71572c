# The container action. Every image it starts from is a build ARG with its public default,
# so that it builds where nothing can be pulled (the tests pass local images).
ARG PYTHON_IMAGE=python:3.12-slim
ARG COMPOSE_IMAGE=docker/compose-bin:v2.40.3
ARG DOCKER_CLI_IMAGE=docker:28.5-cli

FROM ${COMPOSE_IMAGE} AS compose

FROM ${DOCKER_CLI_IMAGE} AS docker-cli

FROM ${PYTHON_IMAGE} AS install
# PIP_NO_INDEX / PIP_FIND_LINKS let an offline build install from wheels put in .wheels/
# of the context (copied into /src with the project files; the glob may match nothing).
ARG PIP_NO_INDEX=""
ARG PIP_FIND_LINKS=""
WORKDIR /src
COPY pyproject.toml README.md .wheels* ./
COPY src ./src
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check . \
    && /opt/venv/bin/pip uninstall --yes pip

FROM ${PYTHON_IMAGE}
COPY --from=install /opt/venv /opt/venv
COPY --from=compose /docker-compose /usr/local/bin/docker-compose
COPY --from=docker-cli /usr/local/bin/docker /usr/local/bin/docker
COPY --from=docker-cli /usr/local/libexec/docker/cli-plugins /usr/local/libexec/docker/cli-plugins
COPY entrypoint.py /entrypoint.py
# pip compiled the bytecode at install time; keeping it makes a cold start import boto3 in a
# third of the time, and nothing is written at run time.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COMPOSE_ECS_DEPLOY_COMPOSE=/usr/local/bin/docker-compose
ENTRYPOINT ["/opt/venv/bin/python", "/entrypoint.py"]
