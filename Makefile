# The project's commands. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint check bench

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime  ## set up and start the bot (Telegram if TELEGRAM_BOT_TOKEN is set, else the console)
	$(PY) bot.py

test: $(VENV)/.dev  ## set up, lint and run the test suite
	$(PY) -m ruff check .
	$(PY) -m pytest

check: $(VENV)/.runtime  ## validate faq.yaml, intents and messages
	$(PY) bot.py faq check

bench: $(VENV)/.dev  ## run the benchmarks (slow; not part of the tests)
	$(PY) benchmarks/bench_matching.py
	$(PY) benchmarks/bench_queue.py
	$(PY) benchmarks/bench_telegram.py
