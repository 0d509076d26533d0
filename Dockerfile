# Production image: gunicorn serves the app (static files through WhiteNoise); the same image runs
# the Celery worker and beat. Configuration is environment variables only (see README).
FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY vendorsync ./vendorsync
COPY orders ./orders
COPY reconciliation ./reconciliation
RUN pip install --no-cache-dir -c constraints.txt .
COPY . .
# Collect static files with the production settings, so the storage is WhiteNoise's
# CompressedManifestStaticFilesStorage and staticfiles.json (the manifest the production
# {% static %} tag reads) is written. The values below exist only to let the settings import (they
# are not kept in the image; collectstatic never connects to the database, and the memory broker
# keeps the filesystem broker from creating root-owned folders under /app/var).
RUN VENDORSYNC_ENV=production \
    DJANGO_SECRET_KEY=collectstatic-at-build-time-only \
    DJANGO_ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgres://build@build.invalid:5432/build \
    CELERY_BROKER_URL=memory:// \
    python manage.py collectstatic --noinput -v 0 \
    && test -s /app/staticfiles/staticfiles.json \
    && useradd --system --home /app vendorsync && mkdir -p /app/var/exports && chown -R vendorsync /app/var
USER vendorsync
EXPOSE 8000
CMD ["gunicorn", "vendorsync.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
