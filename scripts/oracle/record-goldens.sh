#!/usr/bin/env bash
# Regenerates every conformance golden in Fixtures/conformance/ from the generator seeds, recording the expected
# results from the real sendmail 8.17.1.9 on this machine.
#   scripts/oracle/record-goldens.sh           rewrite Fixtures/conformance/<suite>/*.txt
#   scripts/oracle/record-goldens.sh --check   regenerate into a scratch dir and compare with the committed files
#                                              (exit 1 on any difference: goldens stale or sendmail behaves differently)
# Deterministic: the same seeds give byte-identical files (see gen.py). Needs sendmail, makemap, m4, python3.
set -eu
cd "$(dirname "$0")/../.."
here=scripts/oracle
# suite:seed:count — change a seed or count only together with re-recording.
SUITES="tls_client:1001:60 tls_server:1002:60 tls_rcpt:1003:60 tls_misc:1004:50 check_relay:2001:60 check_mail:2002:60 check_rcpt:2003:110 chaos_tls:3001:40 chaos_addr:3002:40 chaos_relay:3003:40 tempfail:3004:40 edges:3005:20 quirks:3006:20 unusable:3007:20"
command -v sendmail >/dev/null && command -v makemap >/dev/null && command -v m4 >/dev/null \
  || { echo "record-goldens: sendmail, makemap and m4 are needed (scripts/setup.sh --oracle)" >&2; exit 2; }
mkdir -p .oracle && chmod 755 .oracle
out=$(mktemp -d -p "$PWD/.oracle" goldens.XXXXXX)
chmod 755 "$out"
trap 'rm -rf "$out"' EXIT
for s in $SUITES; do
  IFS=: read -r suite seed count <<<"$s"
  python3 $here/gen.py --suite "$suite" --seed "$seed" --count "$count" --out "$out"
done
python3 $here/oracle.py record --jobs 2 "$out"/*/*.txt
if [ "${1:-}" = "--check" ]; then
  if diff -r -u Fixtures/conformance/goldens "$out"; then
    echo "record-goldens: goldens are current ($(ls "$out"/*/*.txt | wc -l) case files)" >&2
  else
    echo "record-goldens: goldens differ from what sendmail records now" >&2; exit 1
  fi
else
  mkdir -p Fixtures/conformance/goldens
  for s in $SUITES; do
    suite=${s%%:*}
    rm -rf "Fixtures/conformance/goldens/$suite"
    cp -r "$out/$suite" "Fixtures/conformance/goldens/$suite"
  done
  echo "record-goldens: wrote $(ls Fixtures/conformance/goldens/*/*.txt | wc -l) case files," \
       "$(grep -h '^=> ' Fixtures/conformance/goldens/*/*.txt | wc -l) expected lines" >&2
fi
