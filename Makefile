# `make run` and `make test` do all the set-up: venv, editable installs, instance/, migrations.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every distribution: the host, then first-party plugins, then contrib extras.
DISTS := . $(sort $(dir $(wildcard plugins/*/setup.cfg contrib/*/setup.cfg)))
STAMP := $(VENV)/.installed

.PHONY: run test install clean

$(STAMP): setup.cfg $(wildcard plugins/*/setup.cfg contrib/*/setup.cfg)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(foreach d,$(DISTS),-e $(if $(filter .,$(d)),.[test],$(d)))
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p instance
	$(BIN)/shopdesk db upgrade
	$(BIN)/shopdesk demo
	@echo "Serving on http://127.0.0.1:5000"
	$(BIN)/shopdesk run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV)
