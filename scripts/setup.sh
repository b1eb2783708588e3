#!/usr/bin/env bash
# Installs what the project needs from Debian, where missing. Safe to run again.
#   scripts/setup.sh            libgdbm-dev and gdbmtool (build + interop tests)
#   scripts/setup.sh --oracle   also sendmail-bin, sendmail-cf (oracle tests; skipped where not installable)
#   scripts/setup.sh --mta      --oracle, plus swaks, openssl and a private Postfix (end-to-end MTA tests)
set -u
need=()
dpkg -s libgdbm-dev >/dev/null 2>&1 || need+=(libgdbm-dev)
dpkg -s gdbmtool >/dev/null 2>&1 || need+=(gdbmtool)
mode="${1:-}"
if [ "$mode" = "--mta" ]; then
  "$(dirname "$0")/e2e/install-mta.sh"
  set -- --oracle
fi
if [ "${1:-}" = "--oracle" ]; then
  dpkg -s sendmail-bin >/dev/null 2>&1 || need+=(sendmail-bin)
  dpkg -s sendmail-cf >/dev/null 2>&1 || need+=(sendmail-cf)
fi
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  echo "setup: installing ${need[*]}" >&2
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
    || echo "setup: could not install ${need[*]} (tests that need them will be skipped)" >&2
fi
dpkg -s libgdbm-dev >/dev/null 2>&1 || { echo "setup: libgdbm-dev is required (apt-get install -y libgdbm-dev)" >&2; exit 1; }
if [ "${1:-}" = "--oracle" ] && command -v sendmail >/dev/null 2>&1; then
  # sendmail sleeps 60 s at every start when the host name has no domain: give it a qualified one.
  h=$(hostname)
  case "$h" in
    *.*) ;;
    *) if ! grep -qE "^127\.0\.0\.1[[:space:]]+$h\.localdomain" /etc/hosts 2>/dev/null; then
         { echo "127.0.0.1 $h.localdomain $h"; cat /etc/hosts; } > /tmp/hosts.$$ && cat /tmp/hosts.$$ > /etc/hosts 2>/dev/null \
           || echo "setup: could not qualify host name $h in /etc/hosts (sendmail will be slow)" >&2
         rm -f /tmp/hosts.$$
       fi ;;
  esac
fi
exit 0
