.PHONY: run test install lint format check ci

# Install, migrate, seed and start web + worker + beat on the embedded default (SQLite, filesystem broker).
run:
	@bash scripts/run.sh

# The whole test suite (set DATABASE_URL / CELERY_BROKER_URL for PostgreSQL + Redis).
test:
	@bash scripts/test.sh $(ARGS)

install:
	@bash scripts/bootstrap.sh

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	@.venv/bin/ruff format . && .venv/bin/ruff check --fix .

ci:
	@bash .ci/run
