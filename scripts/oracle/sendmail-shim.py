#!/usr/bin/env python3
"""A stand-in for the `accesspolicy` binary that answers with real sendmail, to test the conformance harness itself.

  ACCESSPOLICY_BIN=$PWD/scripts/oracle/sendmail-shim.py CONFORMANCE_CONFIG_EXT=mc swift test --filter Conformance

`makemap gdbm BASE` stores the map text as BASE.db (no real GDBM); `bt --map BASE.db [--config V.mc]` runs the
script through sendmail -bt with the variant named by the config file's base name and prints the contract lines.
With it every golden test must pass; a failure then is a harness or recorder bug, not an engine bug.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402


def main(argv):
    if argv[1:3] == ['makemap', 'gdbm'] and len(argv) == 4:
        data = sys.stdin.buffer.read()
        with open(argv[3] + '.db', 'wb') as f:
            f.write(data)
        return 0
    if argv[1] == 'bt':
        args = argv[2:]
        mapfile = args[args.index('--map') + 1]
        variant = 'default'
        if '--config' in args:
            variant = os.path.splitext(os.path.basename(args[args.index('--config') + 1]))[0]
        case = oracle.Case()
        case.headers = [('variant', variant)]
        with open(mapfile, encoding='latin-1') as f:
            text = f.read()
        case.map_lines = text.split('\n')[:-1] if text else []
        case.script = [(l, None) for l in sys.stdin.read().split('\n')]
        for norm, _, _ in oracle.run_case(case):
            if norm is not None:
                print(norm)
        return 0
    print('sendmail-shim: unsupported arguments %r' % argv[1:], file=sys.stderr)
    return 64


if __name__ == '__main__':
    sys.exit(main(sys.argv))
