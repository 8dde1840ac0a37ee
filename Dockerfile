# Production-like image for docker-compose.yml (documentation for deployers; not used by CI).
FROM node:20-bookworm-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend ./frontend
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DAPOLICE_ENV=production \
    DAPOLICE_VAR_DIR=/var/lib/dapolice
WORKDIR /app
RUN useradd --system --home /app dapolice && mkdir -p /var/lib/dapolice && chown dapolice /var/lib/dapolice
COPY pyproject.toml README.md ./
COPY dapolice ./dapolice
COPY incidents ./incidents
COPY risk ./risk
COPY mash ./mash
COPY marac ./marac
RUN pip install --no-cache-dir .
COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY --from=frontend /app/var/frontend ./var/frontend
# collectstatic needs a key to import settings; the real one comes from the environment at run time.
RUN DJANGO_SECRET_KEY=build-only-not-secret-build-only-not-secret-000000 \
    DJANGO_ALLOWED_HOSTS=build python manage.py collectstatic --no-input
USER dapolice
EXPOSE 8000
CMD ["gunicorn", "dapolice.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
