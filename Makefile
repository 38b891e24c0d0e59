# `make run` and `make test` do all the set-up: venv, editable installs, instance/, migrations.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every distribution: the host, then first-party plugins, then contrib extras.
DISTS := . $(sort $(dir $(wildcard plugins/*/setup.cfg contrib/*/setup.cfg)))
STAMP := $(VENV)/.installed
# Message catalogues: the host's, and every plugin package that ships a translations/ folder.
LOCALES := zh_Hant zh_Hans
CATALOGUES := core/shopdesk $(patsubst %/translations,%,$(wildcard plugins/*/shopdesk_*/translations contrib/*/shopdesk_*/translations))

.PHONY: run test install clean translations

$(STAMP): setup.cfg $(wildcard plugins/*/setup.cfg contrib/*/setup.cfg)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip uninstall --quiet --yes shopdesk 2>/dev/null || true  # the host's name before shopdesk-core
	# setuptools warns once per flat-layout plugin that editable installs can be shadowed by cwd folders.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet $(foreach d,$(DISTS),-e $(if $(filter .,$(d)),.[test],$(d)))
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p instance
	$(BIN)/shopdesk db upgrade
	$(BIN)/shopdesk demo
	@echo "Serving on http://127.0.0.1:5000"
	SHOPDESK_SCHEDULER=inprocess $(BIN)/shopdesk run --host 127.0.0.1 --port 5000

# One worker per core, a test file per worker at a time (each worker has its own PostgreSQL schema).
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

# Extract the marked strings into each package's translations/messages.pot, bring every
# locale's .po up to date (new strings arrive empty: translate them), compile the .mo files.
# The .po and .mo files are committed, so a fresh clone needs no build step. A template whose
# messages did not change is kept as it is, so a run with nothing new changes no file.
translations: $(STAMP)
	@for pkg in $(CATALOGUES); do \
	  dir=$$pkg/translations; \
	  $(BIN)/pybabel extract -F babel.cfg -k lazy_gettext --add-location=file --sort-by-file \
	    --project=Shopdesk --copyright-holder="Shopdesk contributors" -o $$dir/messages.pot.new $$pkg || exit 1; \
	  if diff -q -I '^"POT-Creation-Date:' $$dir/messages.pot $$dir/messages.pot.new >/dev/null 2>&1; \
	  then rm $$dir/messages.pot.new; else mv $$dir/messages.pot.new $$dir/messages.pot; fi; \
	  for locale in $(LOCALES); do \
	    if [ -f $$dir/$$locale/LC_MESSAGES/messages.po ]; then \
	      $(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i $$dir/messages.pot -d $$dir -l $$locale || exit 1; \
	    else \
	      $(BIN)/pybabel init -i $$dir/messages.pot -d $$dir -l $$locale || exit 1; \
	    fi; \
	  done; \
	  $(BIN)/pybabel compile --statistics -d $$dir || exit 1; \
	done

clean:
	rm -rf $(VENV)
