# Production image for docker-compose.yml (README "Deploying"; not used by development or CI).
# tests/dapolice/test_deploy.py checks that each source directory is copied once and that the code
# is not also installed as a package (which would put a second copy in site-packages).
FROM node:20-bookworm-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend ./frontend
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app DAPOLICE_ENV=production \
    DAPOLICE_VAR_DIR=/var/lib/dapolice
WORKDIR /app
RUN useradd --system --no-create-home --home-dir /app dapolice \
    && mkdir -p /var/lib/dapolice/beat && chown dapolice /var/lib/dapolice/beat
# The dependencies alone, from [project] dependencies in pyproject.toml (this layer survives code
# changes). The code itself runs from /app (PYTHONPATH) and is not pip-installed: one copy.
# EXTRAS: optional dependency groups too; `train` (Splink, DuckDB) is for the worker's nightly
# matching training (issue 14): the web process never imports it. `--build-arg EXTRAS=` leaves it out.
ARG EXTRAS=train
COPY pyproject.toml ./
RUN python -c "import os, tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; extras = [e for e in os.environ.get('EXTRAS', '').split(',') if e]; print('\n'.join(p['dependencies'] + [d for e in extras for d in p['optional-dependencies'][e]]))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt
COPY manage.py ./
COPY dapolice ./dapolice
COPY incidents ./incidents
COPY risk ./risk
COPY mash ./mash
COPY marac ./marac
COPY templates ./templates
COPY static ./static
COPY deploy/healthcheck.py ./deploy/healthcheck.py
COPY --from=frontend /app/var/frontend ./var/frontend
# collectstatic needs a key to import settings; the real one comes from the environment at run time.
RUN DJANGO_SECRET_KEY=build-only-not-secret-build-only-not-secret-000000 \
    DJANGO_ALLOWED_HOSTS=build python manage.py collectstatic --no-input
USER dapolice
EXPOSE 8000
# gthread 2 x 4 (issue 13, make loadtest); searches run on the compose "search" service.
CMD ["gunicorn", "dapolice.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", "--threads", "4", "--access-logfile", "-"]
