# tbx_widget — every step a fresh machine needs (Debian, python3, node/npm present).
#   make demo   JupyterLab on examples/notebooks/quickstart.ipynb
#   make test   every test: Python, JS, protobuf 4.25 compatibility, browser end-to-end
#               (JupyterLab 4 and Notebook 7 with ipywidgets 8, classic Notebook 6.5 with ipywidgets 7.7.1)
#   make test-tf  TensorFlow 2.17 CPU + protobuf 4.25 in one process with tbx_widget, and the Keras
#               callback beside tf.keras's own (not part of
#               make test: its venv is 1.4 GB and takes ~2 min to install)
#   make bench  benchmarks against the peers (writes benchmarks/RESULTS.md)
#   make proto  regenerate tbx_widget/_proto from proto/
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
PROTO_VENV := .venv-proto
OLDPB_VENV := .venv-pb425
CLASSIC_VENV := .venv-classic
TF_VENV := .venv-tf
CHROMIUM ?= /usr/bin/chromium
TORCH_WHEEL := $(wildcard /opt/wheels/torch-2.13.0*.whl)
PYTEST_ARGS ?=

.PHONY: all install js demo test test-py test-js test-oldpb test-e2e test-tf proto bench clean

all: install

js/node_modules/.package-lock.json: js/package-lock.json
	cd js && npm ci --no-audit --no-fund
	@touch $@

tbx_widget/static/index.js: js/node_modules/.package-lock.json $(shell find js/src -type f 2>/dev/null)
	cd js && npm run build

js: tbx_widget/static/index.js

# Azure Blob API server for the remote-logdir tests (Azurite, pinned by tests/servers/package-lock.json;
# the S3 and GCS servers come with the test extra).
tests/servers/node_modules/.package-lock.json: tests/servers/package-lock.json
	cd tests/servers && npm ci --no-audit --no-fund
	@touch $@

$(VENV)/.installed: pyproject.toml hatch_build.py tbx_widget/_native.c tbx_widget/static/index.js
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e ".[test,e2e]"
	@if [ -n "$(TORCH_WHEEL)" ]; then $(PIP) install "torch==2.13.0" || echo "torch did not install: its interop tests will skip"; \
	 else echo "no local CPU torch wheel: torch interop tests will skip"; fi
	@touch $@

install: $(VENV)/.installed tests/servers/node_modules/.package-lock.json

$(PROTO_VENV)/.installed:
	$(PYTHON) -m venv $(PROTO_VENV)
	$(PROTO_VENV)/bin/pip -q install "grpcio-tools==1.62.3"
	@touch $@

$(OLDPB_VENV)/.installed:
	$(PYTHON) -m venv $(OLDPB_VENV)
	$(OLDPB_VENV)/bin/pip -q install "protobuf==4.25.9" numpy google-crc32c pytest hypothesis
	@touch $@

# Colab's widget stack, as close as this machine gets: classic Notebook 6.5, ipywidgets 7.7.1,
# widgetsnbextension 3 (enabled by its own nbconfig file). tbx_widget is installed editable so the
# e2e test sees the current sources and built JS (so a JS rebuild does not reinstall it: order-only);
# TBX_NO_NATIVE: the C kernel .so is already in the tree.
$(CLASSIC_VENV)/.installed: pyproject.toml | tbx_widget/static/index.js
	test -x $(CLASSIC_VENV)/bin/python || $(PYTHON) -m venv $(CLASSIC_VENV)
	TBX_NO_NATIVE=1 $(CLASSIC_VENV)/bin/pip --disable-pip-version-check -q install \
	  "notebook==6.5.7" "ipywidgets==7.7.1" "widgetsnbextension>=3.6,<4" "ipykernel>=6.29" -e .
	$(CLASSIC_VENV)/bin/jupyter nbextension list 2>&1 | grep -q "jupyter-js-widgets/extension.*enabled" || \
	  $(CLASSIC_VENV)/bin/jupyter nbextension enable --py widgetsnbextension --sys-prefix
	@touch $@

# TensorFlow CPU 2.17 (which requires protobuf<5) and protobuf 4.25 in one process with tbx_widget.
$(TF_VENV)/.installed: pyproject.toml
	test -x $(TF_VENV)/bin/python || $(PYTHON) -m venv $(TF_VENV)
	TBX_NO_NATIVE=1 $(TF_VENV)/bin/pip --disable-pip-version-check -q install \
	  "tensorflow-cpu==2.17.1" "protobuf==4.25.9" "pytest>=8" -e .
	@touch $@

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; fi

proto: $(PROTO_VENV)/.installed
	$(PROTO_VENV)/bin/python proto/generate.py

test: install $(PROTO_VENV)/.installed $(OLDPB_VENV)/.installed $(CLASSIC_VENV)/.installed chromium
	$(MAKE) test-js
	$(MAKE) test-oldpb
	TBX_PROTOC_PYTHON=$(PROTO_VENV)/bin/python TBX_CHROMIUM=$(CHROMIUM) TBX_CLASSIC_VENV=$(CLASSIC_VENV) \
	  $(PY) -m pytest -m "not tf" $(PYTEST_ARGS)

test-py: install
	TBX_PROTOC_PYTHON=$(PROTO_VENV)/bin/python $(PY) -m pytest -m "not e2e" $(PYTEST_ARGS)

test-js: js/node_modules/.package-lock.json
	cd js && npx tsc --noEmit && npx vitest run

# The oldest protobuf runtime we promise (Colab's): the core modules must import and round-trip.
test-oldpb: $(OLDPB_VENV)/.installed
	PYTHONPATH=. $(OLDPB_VENV)/bin/python -m pytest -p no:cacheprovider -q tests/test_proto.py tests/test_records.py tests/test_event_file.py

test-e2e: install $(CLASSIC_VENV)/.installed chromium
	TBX_CHROMIUM=$(CHROMIUM) TBX_CLASSIC_VENV=$(CLASSIC_VENV) $(PY) -m pytest -m e2e $(PYTEST_ARGS)

test-tf: $(TF_VENV)/.installed
	TBX_REQUIRE_TF=1 $(TF_VENV)/bin/python -m pytest -p no:cacheprovider -q -m tf tests/test_tf_protobuf.py tests/test_tf_keras.py

# Also as root (--allow-root) and headless (prints the URL with its token instead of opening a browser).
demo: install
	$(PY) examples/demo.py

# Peers are benchmark-only dependencies: tensorboardX, tensorboard, tbparse, torch (local wheel).
bench: install
	$(PIP) install -e ".[bench]"
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) $(PROTO_VENV) $(OLDPB_VENV) $(CLASSIC_VENV) $(TF_VENV) js/node_modules tests/servers/node_modules tbx_widget/static dist build
