#!/usr/bin/env python3
"""Record conformance case files against a sendmail.cf built from a given .mc (instead of a named variant).

usage: mc-record.py MC_FILE CASE...

The .mc is used as given except that the access map is moved to the run directory (the first argument of
FEATURE(`access_db') becomes `hash -T<TMPF> @MAPDIR@/access`, options and the map's optionality kept: no `-o` is
added), `STATUS_FILE` points there too, the no-DNS service switch is used, and the `Start` helper ruleset is appended
(as for every variant). Everything else (class files such as local-host-names, included m4 files) is read where the
.mc says. Results are written into the case files' `=>` lines like `oracle.py record`.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402


def adjusted_mc(text):
    def access(m):
        args = m.group(1)
        # Keep the options after the map spec: `FEATURE(`access_db', <spec>, `opt'…)`.
        rest = args.split(',', 1)[1] if ',' in args else ''
        spec = 'hash -T<TMPF> @MAPDIR@/access'
        if '-o' in args.split(',', 1)[0].split():
            spec = 'hash -T<TMPF> -o @MAPDIR@/access'
        return "FEATURE(`access_db', `%s'%s)" % (spec, (',' + rest) if rest.strip() else '')

    out, n = re.subn(r"FEATURE\(\s*`access_db'\s*,?(.*?)\)(?=dnl|\s*$)", access, text, flags=re.M)
    if n != 1:
        raise SystemExit('mc-record: expected one FEATURE(`access_db\') line, found %d' % n)
    extra = [
        "define(`STATUS_FILE', `@MAPDIR@/statistics')dnl",
        "define(`confSERVICE_SWITCH_FILE', `/etc/mail/service.switch-nodns')dnl",
    ]
    # Definitions must come before MAILER(): put them right after the cf.m4 include.
    lines = out.split('\n')
    at = next((i for i, l in enumerate(lines) if 'cf.m4' in l and 'include' in l), 0)
    lines[at + 1:at + 1] = extra
    return '\n'.join(lines).rstrip('\n') + '\nLOCAL_RULESETS\nSStart\nR$* $$| $*\t\t$: $1 $| $2\n'


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 64
    with open(argv[1]) as f:
        mc = adjusted_mc(f.read())
    r = subprocess.run(['m4'], input=mc, capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout:
        raise SystemExit('m4 failed: %s' % r.stderr)
    oracle._cf_cache[None] = r.stdout
    oracle.variant_cf = lambda name: oracle._cf_cache[None]
    names = oracle.machine_names()
    bad = 0
    for path in argv[2:]:
        _, status, msg = oracle.record_file(path, False, names)
        if status != 'ok':
            bad += 1
            print('%s %s: %s' % (status.upper(), path, msg), file=sys.stderr)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
