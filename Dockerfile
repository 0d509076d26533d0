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
RUN VENDORSYNC_ENV=development python manage.py collectstatic --noinput -v 0 \
    && useradd --system --home /app vendorsync && mkdir -p /app/var && chown vendorsync /app/var
USER vendorsync
EXPOSE 8000
CMD ["gunicorn", "vendorsync.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
