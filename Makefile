# Two commands do everything on a fresh machine with Python 3.11:
#   make run   — create .venv, install, build the data if missing or stale, start the app
#   make test  — the same set-up, then every test
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PORT ?= 8501
# This computer only, unless asked: `make run HOST=0.0.0.0` serves the network (README: "Serving it").
HOST ?= 127.0.0.1

.PHONY: run serve-replicas test test-fast data check lint bench clean

$(INSTALLED): requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(INSTALLED)

# Builds data/gld.duckdb; skipped in about a second when nothing changed.
data: $(INSTALLED)
	$(PY) -m etl

run: data
	$(VENV)/bin/streamlit run app.py --server.address $(HOST) --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

# Many users: REPLICAS Streamlit processes behind Debian's nginx on HOST:NGINX_PORT, the replicas on
# the next ports (deploy/replicas.py; README: "Many users"). Needs `apt-get install nginx`.
REPLICAS ?= 2
NGINX_PORT ?= 8500
serve-replicas: data
	$(PY) -m deploy.replicas --replicas $(REPLICAS) --host $(HOST) --port $(NGINX_PORT)

# Everything, as CI runs it: lint (ruff, with S608 against SQL built from values), then every test.
test: data lint
	$(PY) -m pytest -n auto --dist worksteal

# Everything but the slow and browser tests: under a minute, for the edit-test loop.
test-fast: data
	$(PY) -m pytest -n auto --dist worksteal -m "not slow and not e2e"

check: $(INSTALLED)
	$(PY) -m etl --check

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: data
	$(PY) -m bench

clean:
	rm -rf $(VENV) data/gld.duckdb data/*.parquet data/.build_stamp data/cache
