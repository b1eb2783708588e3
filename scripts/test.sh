#!/usr/bin/env bash
# The whole test suite: installs what it needs, then runs swift test.
# Oracle tests (real sendmail) and end-to-end MTA tests (sendmail, Postfix, swaks) run where those can be
# installed and are reported as skipped elsewhere.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh --mta
swift build --build-tests
swift test "$@"
