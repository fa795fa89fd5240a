# The London Pledge portal: one image for web (gunicorn), worker and beat (Celery). See docs/deployment.md.

# --- Stage 1: front-end assets, built as the Makefile's `assets` target builds them ---------------------
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json .npmrc ./
RUN npm ci --include=dev --no-audit --no-fund
COPY static/src static/src
RUN set -eux; \
    govuk=node_modules/govuk-frontend/dist/govuk; \
    mkdir -p static/vendor/govuk static/build; \
    cp "$govuk/govuk-frontend.min.js" static/vendor/govuk/; \
    mkdir -p static/vendor/govuk/assets && cp -r "$govuk/assets/images" static/vendor/govuk/assets/images; \
    npx --no-install sass --no-source-map --style=compressed --load-path=node_modules --quiet-deps \
        --silence-deprecation=import static/src/portal.scss static/build/portal.css; \
    cp static/src/portal.js static/src/js-enabled.js static/src/api-docs.css static/build/

# --- Stage 2: the application ----------------------------------------------------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=pledge_portal.settings \
    PRIVATE_MEDIA_ROOT=/data/private-media

# WeasyPrint's system libraries (compliance packs are PDFs), and an Arial-compatible font for them:
# the slim image has no fonts beyond the DejaVu that fontconfig pulls in.
RUN apt-get update \
    && apt-get install -y -q --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, in their own layer, so a code change does not reinstall them. pyproject.toml
# lists no packages (`packages = []`), so this installs only the pinned runtime dependencies: no dev
# extras, and the code itself is copied below.
COPY pyproject.toml constraints.txt /tmp/deps/
RUN pip install -c /tmp/deps/constraints.txt /tmp/deps && rm -rf /tmp/deps

RUN groupadd --system --gid 10001 pledge \
    && useradd --system --uid 10001 --gid pledge --home-dir /app --no-create-home --shell /usr/sbin/nologin pledge

WORKDIR /app
# The code stays owned by root: the app user can read it but not change it. .dockerignore keeps out
# the venv, node_modules, local databases, built files and any .env.
COPY . .
COPY --from=assets /build/static/vendor static/vendor
COPY --from=assets /build/static/build static/build

# Hashed, compressed static files for WhiteNoise. The settings need these variables to import in
# production mode; they exist only for this command and are not kept in the image.
RUN DEBUG=false SECRET_KEY=build-only TWO_FACTOR_ENCRYPTION_KEYS=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput

# The only writable places: private media (a volume) and beat's schedule file.
RUN mkdir -p /data/private-media && chown -R pledge:pledge /data
USER pledge

EXPOSE 8000

# /healthz checks the database and Redis. The request carries the first ALLOWED_HOSTS name as its Host
# header, so the probe is not refused as a disallowed host; /healthz is exempt from the HTTPS redirect.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = h if h and h != '*' else 'localhost'; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=8)"]

# The pages pool; PORTAL_POOL=rates makes it the rate check's pool (pledge_portal/gunicorn_conf.py).
CMD ["gunicorn", "-c", "python:pledge_portal.gunicorn_conf", "pledge_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
