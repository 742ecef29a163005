#!/usr/bin/env bash
# Install everything (system packages, .venv, recist with its test extras) and run the tests.
EXTRAS="all,test"
source "$(dirname "$0")/_setup.sh"
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
.venv/bin/lint-imports
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
