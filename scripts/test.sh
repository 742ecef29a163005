#!/usr/bin/env bash
# Install everything (system packages, .venv, recist with its test extras) and run the tests.
EXTRAS="all,test"
source "$(dirname "$0")/_setup.sh"
# GUI tests run under Xvfb (pytest-xvfb starts it): Qt offscreen gives napari no OpenGL.
.venv/bin/ruff check --quiet .
.venv/bin/lint-imports
.venv/bin/npe2 validate recist
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
