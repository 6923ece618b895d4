# One image for every Flock Python service; the command picks the service:
#   python -m gateway            the REST gateway (default)
#   python -m gateway migrate    apply the gateway's database migrations, then exit
#   python -m posts              the posts gRPC service
#   python -m posts migrate      apply the posts database migrations, then exit
#   python -m stats setup        create the broker's topics and the ClickHouse tables, then exit
#   python -m stats consume      the stats consumer: events from the broker into ClickHouse
#   python -m stats serve        the stats gRPC service
# No HEALTHCHECK here: HTTP and gRPC services are probed differently, so compose.yaml defines them.

# ---- build: resolve the locked dependencies into /app/.venv ------------------------------------------
FROM python:3.11-slim AS build

RUN pip install --no-cache-dir "uv==0.13.*"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app
# Dependencies first, so editing code does not invalidate this layer.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# ---- runtime: the virtualenv and the code, no uv, no build tools --------------------------------------
FROM python:3.11-slim AS runtime

RUN groupadd --system --gid 10001 flock \
 && useradd --system --uid 10001 --gid flock --no-create-home --home-dir /app --shell /usr/sbin/nologin flock

WORKDIR /app
COPY --from=build /app/.venv /app/.venv
# .dockerignore is an allow-list: only the service packages (gateway/ posts/ stats/ idl/) and the
# project files reach the build context, so this copies exactly the code, nothing local.
COPY . /app/
# Code stays owned by root (read-only for the service user); compile it now, since it cannot be later.
RUN python -m compileall -q -x '/\.venv/' /app
# The gateway's view spool (FLOCK_GATEWAY_VIEW_SPOOL_DIR): the one place the service user writes. A
# named volume mounted here takes this ownership on first use.
RUN mkdir -p /var/lib/flock/views && chown flock:flock /var/lib/flock/views

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1

USER flock
# Documentation only: compose.yaml publishes the gateway's port and nothing else.
EXPOSE 8000 50051 50052
CMD ["python", "-m", "gateway"]
