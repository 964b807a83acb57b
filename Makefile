# Gas Dispatch: the two commands are `make run` and `make test`; everything else supports them.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8050
SEED   ?= 7
# 0 serves the demo without its live feed (new reports, simulated crews); the scheduler still runs.
DEMO_FEED ?= 1
PYTEST_ARGS ?= -n 2

.PHONY: run test install install-test migrate demo serve bench bench-quick lint i18n clean

# The stamp files make re-runs instant while still reinstalling when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/gasdispatch migrate

demo: migrate
	$(BIN)/gasdispatch demo --seed $(SEED)

run: migrate
	$(BIN)/gasdispatch demo --seed $(SEED) --if-empty
	$(BIN)/gasdispatch serve --host $(HOST) --port $(PORT) $(if $(filter 0,$(DEMO_FEED)),--no-demo-feed,)

serve: install
	$(BIN)/gasdispatch serve --host $(HOST) --port $(PORT) $(if $(filter 0,$(DEMO_FEED)),--no-demo-feed,)

test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .

i18n: install-test
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k lazy_gettext --no-location --omit-header --no-wrap -o dashboard/translations/messages.pot .
	$(BIN)/pybabel update -i dashboard/translations/messages.pot -d dashboard/translations --no-fuzzy-matching --no-wrap

bench: install-test
	$(BIN)/python -m bench

bench-quick: install-test
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) var dash_artifacts .ruff_cache
