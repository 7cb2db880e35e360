# The Hoofdzaak Werk assistant as a container image (docs/deploy.md, "Container image and
# compose"). Build: docker build -t hoofdzaak .   Run: docker compose up -d (compose.yaml).

# -- build the wheel (package data: knowledge base, templates, migrations) -----------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY handlers ./handlers
RUN pip wheel --no-deps --wheel-dir /wheels .

# -- the image ----------------------------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --create-home --home-dir /home/hoofdzaak --shell /usr/sbin/nologin hoofdzaak \
 && install -d -o hoofdzaak -g hoofdzaak -m 0750 /app /app/data

# The dependencies in their own layer, exactly as pinned in pyproject.toml.
COPY pyproject.toml /tmp/pyproject.toml
RUN python -c "import tomllib; deps = tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write('\n'.join(deps) + '\n')" \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/pyproject.toml /tmp/requirements.txt

COPY --from=build /wheels /wheels
RUN pip install --no-deps /wheels/*.whl && rm -rf /wheels && pip check

USER hoofdzaak
WORKDIR /app
# Smoke test: the knowledge base and calibration load from the installed package; and
# matplotlib's font cache, the matcher's index and its word lists (~/.cache/hoofdzaak) are
# built now rather than at the first chart or question.
RUN hoofdzaak kb check && python -c "import matplotlib.font_manager" \
 && hoofdzaak ask "wat is een wsp" > /dev/null

# In a container the webhook server must listen beyond loopback (publish the port to the
# host's loopback or a private network only; TLS is the reverse proxy's job).
# /healthz on 8080 in both modes: webhook mode serves it next to the updates (WEBHOOK_PORT),
# polling mode on HOOFDZAAK_HEALTH_PORT
ENV WEBHOOK_LISTEN=0.0.0.0 HOOFDZAAK_HEALTH_PORT=8080
EXPOSE 8080
STOPSIGNAL SIGTERM
# /healthz: on WEBHOOK_PORT in webhook mode, on HOOFDZAAK_HEALTH_PORT in polling mode (with
# neither the check only says the container runs). A 503 or no answer is unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request\nport = os.environ.get('WEBHOOK_PORT', '8080') if os.environ.get('WEBHOOK_URL') else os.environ.get('HOOFDZAAK_HEALTH_PORT')\nif port:\n    urllib.request.urlopen('http://127.0.0.1:' + port + '/healthz', timeout=4)"]

ENTRYPOINT ["hoofdzaak"]
CMD ["run"]
