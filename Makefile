# report-builder: `make` builds the sample briefing, `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
RB      = $(BIN)/report-builder

.PHONY: all pdf epub html test bench clean distclean

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

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf build

distclean:
	rm -rf build $(VENV) dist *.egg-info src/*.egg-info
