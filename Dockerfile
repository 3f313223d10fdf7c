# whydenied: the service on 0.0.0.0:8000, content baked in, SQLite in /data by default.
# `whydenied serve` bounds header size, slow and idle connections and open connections itself
# (api/server.py), so the container is safe to expose without a proxy; WHYDENIED_MAX_CONNECTIONS etc. tune it.
#
# BASE is any Debian-based image with python3 (3.11+) and its venv module: python:3.11-slim by default;
# deploy/image/build.sh builds one from Debian's packages (debootstrap) where no registry is reachable.
# Build with `--format docker` (buildah/podman): the OCI format has no HEALTHCHECK.
ARG BASE=python:3.11-slim

# --- build: a virtual environment with whydenied and its dependencies (pip compiles their bytecode); pip stays here ---
FROM ${BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# 1: install only from deploy/image/wheelhouse (made on the host by build.sh); 0: from PyPI as well.
ARG OFFLINE=0
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY adapters ./adapters
COPY content ./content
COPY deploy/image/wheelhouse /wheelhouse
RUN python3 -m venv /opt/whydenied \
    && if [ "$OFFLINE" = 1 ]; then set -- --no-index; else set --; fi \
    && /opt/whydenied/bin/pip install "$@" --find-links /wheelhouse . \
    && /opt/whydenied/bin/pip uninstall --yes pip

# --- the image: the base, the environment, a non-root user; no pip, no compiler, no sources ---
FROM ${BASE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/whydenied/bin:$PATH \
    WHYDENIED_DATA_DIR=/data \
    WHYDENIED_HOST=0.0.0.0 \
    WHYDENIED_PORT=8000
COPY --from=build /opt/whydenied /opt/whydenied
# The base's own pip (python:3.11-slim ships one) is a package-install tool the service never needs.
RUN (python3 -m pip uninstall --yes --root-user-action=ignore pip setuptools wheel > /dev/null 2>&1 || true) \
    && useradd --system --uid 10001 --user-group --home-dir /data --create-home whydenied
# Numeric, so Kubernetes' runAsNonRoot can verify it without resolving a name.
USER 10001:10001
WORKDIR /data
EXPOSE 8000
# SIGTERM (docker stop, Kubernetes) drains in-flight requests; uvicorn then exits.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
CMD ["whydenied", "serve"]
