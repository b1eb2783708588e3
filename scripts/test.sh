#!/usr/bin/env bash
# The whole test suite: installs what it needs, then runs swift test.
# Oracle tests (real sendmail) run where sendmail can be installed and are reported as skipped elsewhere.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh --oracle
swift build --build-tests
swift test "$@"
