# whydenied: the service on 0.0.0.0:8000, content baked in, SQLite in /data by default.
# Untested here (this build machine runs no Docker engine); kept simple on purpose. `whydenied serve`
# bounds header size, slow and idle connections and open connections itself (api/server.py), so the
# container is safe to expose without a proxy; WHYDENIED_MAX_CONNECTIONS etc. tune it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WHYDENIED_DATA_DIR=/data \
    WHYDENIED_HOST=0.0.0.0 \
    WHYDENIED_PORT=8000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY adapters ./adapters
COPY content ./content
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --create-home whydenied

USER whydenied
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
CMD ["whydenied", "serve"]
