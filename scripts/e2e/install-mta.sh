#!/usr/bin/env bash
# Installs what the end-to-end MTA tests need (called by scripts/setup.sh --mta). Safe to run again.
#  - swaks (+ Perl TLS modules), openssl, sendmail-bin/sendmail-cf (the sendmail side)
#  - Postfix, unpacked into a private directory (Debian's postfix conflicts with sendmail-bin, which the
#    oracle tests need): apt-get download + dpkg -x into $POSTFIX_ROOT (default /var/tmp/accesspolicy-postfix),
#    plus the postfix user and postdrop group its daemons run as.
# Anything that cannot be installed is reported; the tests that need it are then skipped.
set -u
POSTFIX_ROOT="${POSTFIX_ROOT:-/var/tmp/accesspolicy-postfix}"
sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
need=()
for p in swaks libnet-ssleay-perl libio-socket-ssl-perl openssl sendmail-bin sendmail-cf; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup --mta: installing ${need[*]}" >&2
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
    || echo "setup --mta: could not install ${need[*]} (end-to-end tests that need them will be skipped)" >&2
fi
if [ ! -x "$POSTFIX_ROOT/usr/sbin/postfix" ]; then
  tmp=$(mktemp -d)
  ( cd "$tmp" && apt-get download postfix >/dev/null 2>&1 ) || { $sudo apt-get update -qq >/dev/null 2>&1; ( cd "$tmp" && apt-get download postfix >/dev/null 2>&1 ); }
  deb=$(ls "$tmp"/postfix_*.deb 2>/dev/null | head -1)
  if [ -n "$deb" ]; then
    mkdir -p "$POSTFIX_ROOT" && dpkg -x "$deb" "$POSTFIX_ROOT" && chmod 755 "$POSTFIX_ROOT"
    echo "setup --mta: postfix unpacked into $POSTFIX_ROOT" >&2
  else
    echo "setup --mta: could not download postfix (Postfix end-to-end tests will be skipped)" >&2
  fi
  rm -rf "$tmp"
fi
if [ -x "$POSTFIX_ROOT/usr/sbin/postfix" ]; then
  getent group postdrop >/dev/null 2>&1 || $sudo groupadd -r postdrop 2>/dev/null || true
  getent passwd postfix >/dev/null 2>&1 || $sudo useradd -r -d /nonexistent -s /usr/sbin/nologin postfix 2>/dev/null || true
fi
exit 0
