# Two commands for a newcomer: `make run` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
CHROMIUM := /usr/bin/chromium

.PHONY: run test setup static lint chromium sip-tools messages bench bench-tools

# The virtualenv is rebuilt only when requirements.txt changes, so a second run is quick.
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed static
	$(PY) manage.py migrate --noinput

# Static files with hashed names, compressed once, into the git-ignored staticfiles/ (served
# by WhiteNoise). The tests collect them too when they are missing or older than static/.
static: $(VENV)/.installed
	$(PY) manage.py collectstatic --noinput --verbosity 0

# Loads the library without overwriting flows already there (editors' work survives).
# The sans-I/O websocket protocol writes to a socket with room in its buffer without waiting,
# which lets a live session reach every follower in one loop; frames are small HTML, so they
# are not compressed (compressing each one per connection costs more than it saves).
# Frames from browsers are small JSON actions: a larger one is refused by uvicorn before it
# is read whole.
UVICORN := $(VENV)/bin/uvicorn sipflows.asgi:application --ws websockets-sansio --ws-per-message-deflate false --ws-max-size 4096

# Django's technical pages only when asked for (DEBUG=1 make run) and only on this machine's
# loopback address: anyone else who can reach the server sees plain error pages.
LOOPBACK := $(filter $(HOST),127.0.0.1 localhost ::1)
run: setup
	$(PY) manage.py import_flows --keep-existing fixtures/
	DEBUG=$(if $(LOOPBACK),$(DEBUG),0) $(UVICORN) --host $(HOST) --port $(PORT)

test: $(VENV)/.installed static chromium sip-tools node_modules/.installed lint
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# A Debian package the suite or the benchmarks need, installed when $(1) fails: as root,
# otherwise saying what to run. $(2) is the package, $(3) what needs it.
define debian_package
	@if ! $(1); then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(2); \
	  else \
	    echo "$(2) is missing: run 'sudo apt-get install -y $(2)' ($(3))."; \
	    exit 1; \
	  fi; \
	fi
endef

# Browser tests drive the system Chromium (Debian package); Playwright never downloads one.
chromium:
	$(call debian_package,[ -x $(CHROMIUM) ],chromium,browser tests need $(CHROMIUM))

# The SIPp playback and capture tests play flows between real SIPp processes and record them
# with tcpdump (both need root or capabilities on lo); PlantUML renders the exported diagrams.
SIP_TOOLS := sipp tcpdump plantuml npm
sip-tools:
	@missing=""; for tool in $(SIP_TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q sip-tester tcpdump plantuml npm; \
	  else \
	    echo "Missing:$$missing. Run 'sudo apt-get install -y sip-tester tcpdump plantuml npm' (the playback, capture and diagram tests need them)."; \
	    exit 1; \
	  fi; \
	fi

# Mermaid's own library renders the exported diagrams in the browser tests (version pinned in
# package.json and package-lock.json; node_modules/ is not committed).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# For maintainers after changing UI strings: refresh and compile the Chinese catalogue.
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=tests --ignore=node_modules
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

# Benchmarks (run on demand; each prints its figures beside its baseline from the same run).
bench-tools:
	$(call debian_package,command -v wrk >/dev/null,wrk,bench/pages.py loads pages with it)

bench: $(VENV)/.installed static chromium bench-tools
	$(PY) bench/pages.py
	$(PY) bench/join.py
	$(PY) bench/growth.py
	$(PY) bench/browser.py
	$(PY) bench/fanout.py
