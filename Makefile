# report-builder: `make` builds the sample briefing, `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
RB      = $(BIN)/report-builder

.PHONY: all pdf epub html test bench clean distclean messages

all: $(STAMP)
	$(RB) build

pdf epub html: $(STAMP)
	$(RB) build $@

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The labels the builder writes (babel.cfg) into locale/messages.pot, merged into every catalogue;
# translate the new entries in src/report_builder/locale/<lang>/LC_MESSAGES/messages.po. The
# catalogues are compiled in memory when a build reads them: there are no .mo files to make.
LOCALE = src/report_builder/locale
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k plural:2,3 --no-location --sort-output --omit-header -o $(LOCALE)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) --width 100 --no-fuzzy-matching --ignore-obsolete

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf build

distclean:
	rm -rf build $(VENV) dist *.egg-info src/*.egg-info
