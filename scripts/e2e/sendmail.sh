#!/usr/bin/env bash
# Runs a private sendmail daemon on loopback whose access_db is our socket map.
#   sendmail.sh start WORKDIR SMTP_PORT SOCKETMAP_PORT   (WORKDIR must hold certs/ from make-certs.sh)
#   sendmail.sh stop  WORKDIR
# WORKDIR must not be world-writable (sendmail refuses such paths); sendmail must run as root.
set -eu
cmd="$1" work="$2"
case "$cmd" in
start)
  smtp_port="$3" map_port="$4"
  mkdir -p "$work/queue" "$work/hoststat"
  chmod 700 "$work/queue"
  : > "$work/statistics"
  cat > "$work/e2e.mc" <<MC
include(\`/usr/share/sendmail/cf/m4/cf.m4')dnl
OSTYPE(\`debian')dnl
define(\`confSERVICE_SWITCH_FILE', \`/etc/mail/service.switch-nodns')dnl
define(\`STATUS_FILE', \`$work/statistics')dnl
define(\`QUEUE_DIR', \`$work/queue')dnl
define(\`confPID_FILE', \`$work/sendmail.pid')dnl
define(\`confLOG_LEVEL', \`14')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confDELIVERY_MODE', \`queueonly')dnl
define(\`confDONT_PROBE_INTERFACES', \`true')dnl
define(\`confHOST_STATUS_DIRECTORY', \`$work/hoststat')dnl
define(\`confCACERT_PATH', \`$work/certs')dnl
define(\`confCACERT', \`$work/certs/ca.pem')dnl
define(\`confSERVER_CERT', \`$work/certs/server.pem')dnl
define(\`confSERVER_KEY', \`$work/certs/server.key')dnl
define(\`confCERT_FINGERPRINT_ALGORITHM', \`sha256')dnl
FEATURE(\`no_default_msa')dnl
DAEMON_OPTIONS(\`Port=$smtp_port, Addr=127.0.0.1, Name=MTA-e2e')dnl
FEATURE(\`access_db', \`socket -T<TMPF> inet:$map_port@127.0.0.1')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
MC
  m4 "$work/e2e.mc" > "$work/e2e.cf"
  RES_OPTIONS="timeout:1 attempts:1" sendmail -C "$work/e2e.cf" -bd
  for _ in $(seq 1 100); do   # up to 10 s for the listener
    if (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null; then exit 0; fi
    sleep 0.1
  done
  echo "sendmail did not start listening on $smtp_port" >&2
  exit 1
  ;;
stop)
  if [ -f "$work/sendmail.pid" ]; then
    pid=$(head -1 "$work/sendmail.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  ;;
*) echo "usage: $0 start|stop WORKDIR ..." >&2; exit 2 ;;
esac
