# Huimin: two commands do all the set-up (see README):
#   make demo   the kiosk in a window with simulated devices and the embedded hub
#   make test   lint, type check and the whole test suite
#   make audit  the accessibility audit (python -m tools.audit; the suite runs it too)
# Both install what is missing first (scripts/setup.sh).
#   make fresh-check   both, rehearsed in a clean Debian 12 root (scripts/fresh_check.sh)
#   make image         the terminal's bootable disk image (image/build.sh; cached by its inputs)
#   make boot-test     boots that image under QEMU and uses it as a village would (tests/image)

PY := .venv/bin/python
HEADLESS ?= 0
WINDOW ?= 1280x800
export PYTHONPATH := $(CURDIR)

.PHONY: setup demo test lint audit bench hub clean fresh-check image boot-test

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh "$(HEADLESS)" "$(WINDOW)"

hub: setup
	$(PY) -m hub --config config/hub.toml

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

audit: setup
	$(PY) -m tools.audit

bench: setup
	$(PY) -m bench

# Not after setup: it needs nothing of this machine's set-up, only git and root.
fresh-check:
	@bash scripts/fresh_check.sh $(FRESH_CHECK_ARGS)

# The image is built as root (mmdebstrap, chroot); it prints the image's path.
image: setup
	@bash image/build.sh

# Minutes, not seconds: not part of make test (pyproject deselects the image marker).
boot-test: image
	$(PY) -m pytest -m image -p no:cacheprovider -s tests/image/test_boot.py $(BOOT_TEST_ARGS)

clean:
	rm -rf var artifacts .pytest_cache .mypy_cache .ruff_cache
