# Officium — the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SITE   ?= demo-site
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install fonts run test test-sqlite test-postgresql browser lint bench bench-search bench-crash clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) fonts

## Debian's CJK fonts (fonts-noto-cjk; fonts-arphic-ukai for 楷体): the 套红 PDF of outgoing documents
## needs them to draw Chinese.
fonts:
	@if ! test -f /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc || ! test -f /usr/share/fonts/truetype/arphic/ukai.ttc; then \
	  echo "installing Debian's fonts-noto-cjk and fonts-arphic-ukai for the 套红 PDF"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq fonts-noto-cjk fonts-arphic-ukai >/dev/null; \
	fi

## Create (once) and serve the demo site on SQLite; the demo logins are printed.
run: install
	$(BIN)/officium demo $(SITE) --host $(HOST) --port $(PORT)

## Debian's chromium and CJK fonts for the real-browser tests (Playwright never downloads a browser).
browser:
	@if ! test -x /usr/bin/chromium || ! test -d /usr/share/fonts/opentype/noto; then \
	  echo "installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

## The whole suite on SQLite, then again on PostgreSQL when OFFICIUM_TEST_DATABASE_URL is set.
## Tests run on every core (pytest-xdist); a file's tests stay on one worker because some share a site.
## Tests marked `postgresql` (tests/scale/: several server processes on PostgreSQL and Redis; lost
## connections) are deselected on SQLite and run in the PostgreSQL pass.
PYTEST := $(BIN)/python -m pytest -n auto --dist loadfile
test: install browser lint test-sqlite test-postgresql

lint: install
	$(BIN)/ruff check officium tests $(wildcard bench)

test-sqlite: install
	env -u OFFICIUM_TEST_DATABASE_URL $(PYTEST) -m "not postgresql"

test-postgresql: install
	@if [ -n "$$OFFICIUM_TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL: $$OFFICIUM_TEST_DATABASE_URL"; \
	  $(PYTEST) -m "not browser"; \
	else echo "OFFICIUM_TEST_DATABASE_URL not set: PostgreSQL run skipped (CI sets it)"; fi

## Benchmarks: seed a province-scale site (bench/province.py), load every page the issue names over HTTP
## on SQLite (1 and 2 workers) and PostgreSQL (2 workers) beside a bare Starlette baseline measured in the
## same run. The load takes 12-18 min; the two seeds come on top (the longest part at province scale).
## Options through BENCH_ARGS, e.g. make bench BENCH_ARGS='--scale small --no-postgresql' (quick) or
## BENCH_ARGS='--reuse-seed' (reuse the cached SQLite seed); bench/run.py --help lists them all.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## 文档查询 latency over N indexed records (default 1,000,000; SQLite, or PostgreSQL with --database-url), e.g.
## make bench-search BENCH_ARGS='--records 100000 --database-url postgresql://postgres@127.0.0.1:5432/postgres'.
bench-search: install
	$(BIN)/python bench/search_bench.py $(BENCH_ARGS)

## Crash harness, long run: SIGKILL a writing child N times on SQLite (default 500), then check that no
## acknowledged write is lost or half-applied, e.g. make bench-crash BENCH_ARGS='--cycles 100 --seed 2'.
bench-crash: install
	$(BIN)/python bench/crash_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(SITE) .pytest_cache build *.egg-info
