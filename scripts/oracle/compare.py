#!/usr/bin/env python3
"""Runs the engine (`accesspolicy bt`) on recorded conformance case files and reports every line that differs from
the recorded sendmail result. Byte-exact: case files, scripts and outputs are handled as bytes (latin-1 round trip).

usage: compare.py [--bin PATH] [--quiet] FILE...
  prints `DIFF file:line` blocks and a summary `agree N differ M` (exit 1 when anything differs)
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from oracle import Case, is_ruleset_line  # noqa: E402


def engine_lines(binary, case, work):
    d = tempfile.mkdtemp(prefix='cmp-', dir=work)
    try:
        base = os.path.join(d, 'access')
        src = ('\n'.join(case.map_lines) + '\n' if case.map_lines else '').encode('latin-1')
        r = subprocess.run([binary, 'makemap', 'gdbm', base], input=src, capture_output=True)
        if r.returncode not in (0, 65):
            return None, 'makemap exited %d: %s' % (r.returncode, r.stderr.decode('latin-1'))
        args = [binary, 'bt', '--map', base + '.db']
        if case.variant != 'default':
            args += ['--config', os.path.join(ROOT, 'Fixtures/conformance/variants/%s.config' % case.variant)]
        marker = case.header('tempfail-marker')
        if marker:
            args += ['--tempfail-marker', marker]
        script = ('\n'.join(line for line, _ in case.script) + '\n').encode('latin-1')
        r = subprocess.run(args, input=script, capture_output=True)
        if r.returncode != 0:
            return None, 'bt exited %d: %s' % (r.returncode, r.stderr.decode('latin-1'))
        out = r.stdout.decode('latin-1').split('\n')
        if out and out[-1] == '':
            out.pop()
        return out, None
    finally:
        subprocess.run(['rm', '-rf', d])


def main(argv):
    binary = os.path.join(ROOT, '.build/debug/accesspolicy')
    quiet = '--quiet' in argv
    args = [a for a in argv[1:] if a != '--quiet']
    if args[:1] == ['--bin']:
        binary, args = args[1], args[2:]
    work = os.path.join(ROOT, '.oracle')
    os.makedirs(work, exist_ok=True)
    agree = differ = 0
    for path in args:
        with open(path, encoding='latin-1') as f:
            case = Case.parse(f.read(), path)
        cmds = [(line, exp) for line, exp in case.script if is_ruleset_line(line)]
        if not any(exp is not None for _, exp in cmds):
            continue
        got, err = engine_lines(binary, case, work)
        if got is None:
            print('FAIL %s: %s' % (path, err))
            differ += len(cmds)
            continue
        for k, (line, exp) in enumerate(cmds):
            g = got[k] if k < len(got) else '<no output line>'
            if g == exp:
                agree += 1
            else:
                differ += 1
                if not quiet:
                    print('DIFF %s (%s)\n  %s\n    sendmail: %s\n    engine:   %s' % (path, case.variant, line, exp, g))
        if len(got) > len(cmds):
            print('EXTRA %s: %d extra lines' % (path, len(got) - len(cmds)))
    print('agree %d differ %d' % (agree, differ), file=sys.stderr)
    return 1 if differ else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
