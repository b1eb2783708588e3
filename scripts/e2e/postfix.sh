#!/usr/bin/env bash
# Runs a private Postfix (unpacked by scripts/setup.sh --mta into $POSTFIX_ROOT) on loopback, with our policy
# service in smtpd_relay_restrictions.
#   postfix.sh start WORKDIR SMTP_PORT POLICY_PORT   (WORKDIR must hold certs/ from make-certs.sh)
#   postfix.sh stop  WORKDIR
# Runs master in the foreground in the background of this shell (-d), so no system paths are touched:
# config, queue and data directories all live in WORKDIR. Must run as root (master binds and drops to the
# postfix user); logs go to WORKDIR/postfix.log (maillog_file, Postfix 3.4+).
set -eu
cmd="$1" work="$2"
root="${POSTFIX_ROOT:-/var/tmp/accesspolicy-postfix}"
export LD_LIBRARY_PATH="$root/usr/lib/postfix"
case "$cmd" in
start)
  smtp_port="$3" policy_port="$4"
  conf="$work/postfix-conf" queue="$work/postfix-queue" data="$work/postfix-data"
  mkdir -p "$conf" "$queue" "$data"
  for d in active bounce corrupt defer deferred flush hold incoming maildrop pid private public saved trace; do
    mkdir -p "$queue/$d"
  done
  chown -R postfix "$queue" "$data"
  chown root "$queue" "$queue/pid"
  chgrp postdrop "$queue/maildrop" "$queue/public" 2>/dev/null || true
  chmod 730 "$queue/maildrop"; chmod 710 "$queue/public"; chmod 700 "$queue/private"
  : > "$work/postfix.log"; chmod 666 "$work/postfix.log"
  sed -e "s/^smtp      inet  n       -       y       -       -       smtpd/127.0.0.1:$smtp_port inet n - n - - smtpd/" \
      -e 's/^\(\S\+\s\+\S\+\s\+\S\+\s\+\S\+\s\+\)y/\1n/' \
      "$root/usr/share/postfix/master.cf.dist" > "$conf/master.cf"
  # postlog service for maillog_file
  grep -q '^postlog' "$conf/master.cf" || echo 'postlog   unix-dgram n  -       n       -       1       postlogd' >> "$conf/master.cf"
  cp "$root/usr/share/postfix/dynamicmaps.cf" "$conf/dynamicmaps.cf" 2>/dev/null || : > "$conf/dynamicmaps.cf"
  policy="check_policy_service inet:127.0.0.1:$policy_port"
  cat > "$conf/main.cf" <<CF
compatibility_level = 3.6
myhostname = mx.e2e.test
mydomain = e2e.test
myorigin = \$myhostname
mydestination =
relay_domains =
mynetworks = 127.0.0.1/32
inet_interfaces = loopback-only
inet_protocols = ipv4
queue_directory = $queue
data_directory = $data
command_directory = $root/usr/sbin
daemon_directory = $root/usr/lib/postfix/sbin
shlib_directory = $root/usr/lib/postfix
meta_directory = $conf
mail_owner = postfix
setgid_group = postdrop
maillog_file = $work/postfix.log
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH
smtpd_banner = \$myhostname ESMTP
disable_dns_lookups = yes
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
biff = no
smtpd_tls_security_level = may
smtpd_tls_cert_file = $work/certs/server.pem
smtpd_tls_key_file = $work/certs/server.key
smtpd_tls_CAfile = $work/certs/ca.pem
smtpd_tls_ask_ccert = yes
smtpd_tls_fingerprint_digest = sha256
smtpd_tls_loglevel = 1
smtpd_tls_session_cache_database =
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
smtpd_relay_restrictions = permit_mynetworks, $policy, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_policy_service_timeout = 20s
CF
  "$root/usr/lib/postfix/sbin/master" -c "$conf" -d > "$work/master.out" 2>&1 &
  echo $! > "$work/master.pid"
  for _ in $(seq 1 100); do   # up to 10 s for the listener
    if (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null; then exit 0; fi
    kill -0 "$(cat "$work/master.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "postfix did not start listening on $smtp_port" >&2
  cat "$work/master.out" "$work/postfix.log" >&2 2>/dev/null || true
  exit 1
  ;;
stop)
  if [ -f "$work/master.pid" ]; then
    pid=$(cat "$work/master.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  ;;
*) echo "usage: $0 start|stop WORKDIR ..." >&2; exit 2 ;;
esac
