#!/usr/bin/env bash
# The main job on the shipped fixtures, as a readable transcript: build GDBM access maps from Fixtures/maps/ with
# `accesspolicy makemap`, query and dump them, and show how bad input is reported.
#
#   scripts/demo.sh
#
# Structure (for later steps): each step is a function `step_<name>` registered in STEPS below; `show` prints a
# command and runs it; $DEMO (a temporary directory) and $TOOL (the built CLI) are set up before the first step.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- set-up -------------------------------------------------------------------------------------------------------
scripts/setup.sh                     # installs libgdbm-dev (and gdbmtool) when missing
echo "== building accesspolicy"
swift build --product accesspolicy 2>&1 | tail -1
TOOL="$(swift build --show-bin-path)/accesspolicy"
# Not /tmp: sendmail (and the habit of its tools) refuses maps in world-writable directories.
DEMO=$(mktemp -d -p /var/tmp accesspolicy-demo.XXXXXX)
chmod 755 "$DEMO"
trap 'rm -rf "$DEMO"' EXIT

# show COMMAND...: prints the command as typed, then runs it; a non-zero exit is shown, not fatal.
show() {
  printf '\n$ %s\n' "$*"
  local status=0
  eval "$@" || status=$?
  [ "$status" -eq 0 ] || echo "(exit status $status)"
}

heading() { printf '\n== %s\n' "$1"; }

# --- steps ----------------------------------------------------------------------------------------------------------
step_build_articles_map() {
  heading "Build an access map from the TLS examples in the articles (Fixtures/maps/articles.access)"
  show "accesspolicy makemap gdbm \$DEMO/access < Fixtures/maps/articles.access"
  show "ls -l \$DEMO"
}

step_query() {
  heading "Exact look-ups (keys are folded to lower case, as sendmail does)"
  show "accesspolicy query --map \$DEMO/access.db 'tls_clt:desktop.example.net'"
  show "accesspolicy query --map \$DEMO/access.db TLS_Srv:secure.example.com Try_TLS: Connect:nowhere.example"
}

step_dump() {
  heading "Dump the map back as text (makemap -u), and read it with GDBM's own tool"
  show "accesspolicy makemap -u gdbm \$DEMO/access"
  if command -v gdbmtool >/dev/null 2>&1; then
    show "gdbmtool -r \$DEMO/access.db count"
  fi
}

step_debian_default() {
  heading "Debian's default /etc/mail/access (Fixtures/maps/debian-access)"
  show "accesspolicy makemap -v gdbm \$DEMO/debian < Fixtures/maps/debian-access"
  show "accesspolicy query --map \$DEMO/debian.db Connect:127 GreetPause: spam:abuse@"
}

step_errors() {
  heading "Bad lines are reported as FILE:LINE: reason; good lines are stored; exit status 65"
  show "accesspolicy makemap gdbm \$DEMO/errors --input Fixtures/maps/malformed/errors.txt"
  heading "... and a failed build (-o on a map that does not exist) changes nothing: exit status 73"
  show "accesspolicy makemap -o gdbm \$DEMO/missing < Fixtures/maps/articles.access"
  show "ls -A \$DEMO"
}

step_bt() {
  heading "TLS decisions in sendmail -bt's language (Fixtures/engine/articles/script.txt: macros, then one result per ruleset line)"
  show "grep -v '^#' Fixtures/engine/articles/script.txt | grep -v '^\$' | head -8"
  show "accesspolicy bt --map \$DEMO/access.db < Fixtures/engine/articles/script.txt"
}

step_policy_tests() {
  heading "Policy tests for the articles' scenarios (Fixtures/policy-tests/*.yaml; format: docs/policy-tests.md)"
  show "accesspolicy test Fixtures/policy-tests/tls-srv-encr-112.yaml Fixtures/policy-tests/try-tls-no.yaml | cut -c1-150"
  show "accesspolicy test --quiet Fixtures/policy-tests/*.yaml"
  heading "... why one of them decides what it does (--explain: every key looked up, the match, the rule)"
  show "accesspolicy test --explain Fixtures/policy-tests/tls-clt-verify-80.yaml | sed -n '5,8p' | cut -c1-150"
}

step_replay() {
  heading "Replay a generated mixed sendmail/Postfix log (2,500 sessions) against an access map: two sessions, then the summary"
  show "accesspolicy makemap gdbm \$DEMO/generated < Fixtures/maps/generated.access"
  show "accesspolicy replay --map \$DEMO/generated.db Fixtures/logs/generated-2500.log | sed -n '/^session 2:/,/^session 27:/p' | sed -n '1,12p' | cut -c1-150"
  show "accesspolicy replay --map \$DEMO/generated.db --config Fixtures/maps/generated.config.yaml --summary-only Fixtures/logs/generated-2500.log | sed -n '1,/^log /p' | sed -n '1,34p' | cut -c1-150"
  heading "The same as JSON Lines (schema: docs/replay.md), first decision"
  show "accesspolicy replay --map \$DEMO/generated.db --format json Fixtures/logs/generated-2500.log | sed -n 1p"
  heading "Which sessions change if the map adds Try_TLS: NO and an ENCR:256 requirement? (exit status 1: some do)"
  show "(cat Fixtures/maps/generated.access; printf 'Try_TLS:dest13.example\\tNO\\nTLS_Clt:sender181.example\\tENCR:256\\n') | accesspolicy makemap gdbm \$DEMO/generated-new"
  show "accesspolicy diff --old \$DEMO/generated.db --new \$DEMO/generated-new.db Fixtures/logs/generated-2500.log | cut -c1-150"
}

STEPS=(step_build_articles_map step_query step_dump step_bt step_debian_default step_errors step_policy_tests step_replay)

# --- run ------------------------------------------------------------------------------------------------------------
accesspolicy() { "$TOOL" "$@"; }
for step in "${STEPS[@]}"; do "$step"; done
printf '\n== done (maps were built in %s, now removed)\n' "$DEMO"
