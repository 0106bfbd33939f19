# Two commands for a newcomer: `make run` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
CHROMIUM := /usr/bin/chromium

.PHONY: run test setup lint chromium messages

# The virtualenv is rebuilt only when requirements.txt changes, so a second run is quick.
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

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

test: $(VENV)/.installed chromium lint
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Browser tests drive the system Chromium (Debian package); Playwright never downloads one.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install -y chromium' (browser tests need $(CHROMIUM))."; \
	    exit 1; \
	  fi; \
	fi

# For maintainers after changing UI strings: refresh and compile the Chinese catalogue.
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=tests
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv
