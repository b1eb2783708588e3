#!/usr/bin/env python3
"""Conformance recorder: runs real sendmail 8.17.1.9 (-bt) on conformance cases and records the results.

A case file (format: Fixtures/conformance/README.md) holds an access map in makemap text format, a cf variant
name and a script in the `accesspolicy bt` language. This tool builds the map with `makemap hash`, builds the
variant's sendmail.cf from an .mc, translates the script to sendmail -bt input, runs it, and turns the final
`returns:` line of every ruleset command into the one-line contract notation.

usage:
  oracle.py record [--check] [--jobs N] FILE...   fill in (or, with --check, compare) the `=>` lines
  oracle.py show [-v] FILE                         print each command with the raw and normalised result
  oracle.py classw                                 print sendmail's class w/m members on this machine
  oracle.py mc VARIANT                             print the .mc used for VARIANT
"""
import os
import re
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORK = os.environ.get('ORACLE_WORK', os.path.join(ROOT, '.oracle'))
M4_DIR = '/usr/share/sendmail/cf/m4/cf.m4'

# ---------------------------------------------------------------------------------------------------------------
# Variants: name -> (access_db options, extra .mc lines placed after FEATURE(access_db)).
# The default cf is FEATURE(access_db) + FEATURE(accept_unresolvable_domains) + the Start helper ruleset.
# ---------------------------------------------------------------------------------------------------------------
VARIANTS = {
    'default': ([], []),
    'delay_checks': ([], ["FEATURE(`delay_checks')dnl"]),
    'delay_checks_friend': ([], ["FEATURE(`delay_checks', `friend')dnl"]),
    'delay_checks_hater': ([], ["FEATURE(`delay_checks', `hater')dnl"]),
    'relay_hosts_only': ([], ["FEATURE(`relay_hosts_only')dnl"]),
    'relay_entire_domain': ([], ["FEATURE(`relay_entire_domain')dnl"]),
    'relay_mail_from': ([], ["FEATURE(`relay_mail_from')dnl"]),
    'relay_mail_from_domain': ([], ["FEATURE(`relay_mail_from', `domain')dnl"]),
    'blocklist_recipients': ([], ["FEATURE(`blocklist_recipients')dnl"]),
    'blocklist_delay_checks': ([], ["FEATURE(`blocklist_recipients')dnl", "FEATURE(`delay_checks')dnl"]),
    'lookupdotdomain': (['lookupdotdomain'], []),
    'skip': (['skip'], []),
    'relaytofulladdress': (['relaytofulladdress'], []),
    'tls_perm_err': ([], ["define(`TLS_PERM_ERR')dnl"]),
    # The access map is a socketmap served by this recorder (SocketMap below): keys containing the case's
    # `tempfail-marker` and entries valued `TMPF` answer TEMP (the engine: `bt --tempfail-marker`).
    'tempfail': ([], []),
    'tempfail_delay_checks': ([], ["FEATURE(`delay_checks')dnl"]),
}

SOCKET_MAP_SPEC = 'socket -T<TMPF> local:@MAPDIR@/sock'

MAP_SPEC = 'hash -T<TMPF> -o @MAPDIR@/access'


def variant_mc(name):
    """The .mc text of a variant (map path placeholder @MAPDIR@)."""
    if name not in VARIANTS:
        raise SystemExit('unknown variant %r (known: %s)' % (name, ', '.join(sorted(VARIANTS))))
    opts, extra = VARIANTS[name]
    spec = SOCKET_MAP_SPEC if name.startswith('tempfail') else MAP_SPEC
    access = "FEATURE(`access_db', `%s'%s)dnl" % (spec, ''.join(", `%s'" % o for o in opts))
    lines = [
        "include(`%s')dnl" % M4_DIR,
        "OSTYPE(`debian')dnl",
        "define(`STATUS_FILE', `@MAPDIR@/statistics')dnl",
        "define(`confCR_FILE', `-o @MAPDIR@/relay-domains')dnl",
        "define(`confSERVICE_SWITCH_FILE', `/etc/mail/service.switch-nodns')dnl",
        access,
        "FEATURE(`accept_unresolvable_domains')dnl",
    ] + extra + [
        "MAILER(`local')dnl",
        "MAILER(`smtp')dnl",
        "LOCAL_RULESETS",
        "SStart",
        "R$* $$| $*\t\t$: $1 $| $2",
    ]
    return '\n'.join(lines) + '\n'


def variant_mc_lines(name):
    """The lines that differ from the default cf (recorded in case files)."""
    opts, extra = VARIANTS[name]
    out = []
    if name.startswith('tempfail'):
        out.append("FEATURE(`access_db', `%s')dnl" % SOCKET_MAP_SPEC.replace('@MAPDIR@', 'DIR'))
    elif opts:
        out.append("FEATURE(`access_db', `%s'%s)dnl" % (MAP_SPEC.replace('@MAPDIR@', 'DIR'),
                                                        ''.join(", `%s'" % o for o in opts)))
    return out + list(extra)


_cf_cache = {}
_cf_lock = threading.Lock()


def variant_cf(name):
    """cf text with @MAPDIR@ placeholders, generated once per variant and run."""
    with _cf_lock:
        if name not in _cf_cache:
            r = subprocess.run(['m4'], input=variant_mc(name), capture_output=True, text=True)
            if r.returncode != 0 or not r.stdout:
                raise SystemExit('m4 failed for variant %s: %s' % (name, r.stderr))
            if r.stderr.strip() and 'may cause your system to act as open' not in r.stderr:
                raise SystemExit('m4 warnings for variant %s: %s' % (name, r.stderr))
            _cf_cache[name] = r.stdout
        return _cf_cache[name]


# ---------------------------------------------------------------------------------------------------------------
# Case files
# ---------------------------------------------------------------------------------------------------------------
class Case:
    def __init__(self, path=None):
        self.path = path
        self.headers = []          # list of (key, value) in order
        self.map_lines = []        # verbatim makemap source lines (no newline)
        self.script = []           # list of (line, expected-or-None); expected only for ruleset lines

    def header(self, key, default=None):
        for k, v in self.headers:
            if k == key:
                return v
        return default

    @property
    def variant(self):
        return self.header('variant', 'default')

    @staticmethod
    def parse(text, path=None):
        c = Case(path)
        section = 'head'
        for raw in text.split('\n')[:-1] if text.endswith('\n') else text.split('\n'):
            if raw == '== map':
                section = 'map'
                continue
            if raw == '== script':
                section = 'script'
                continue
            if section == 'head':
                if raw.startswith('#'):
                    c.headers.append(('#', raw))
                    continue
                if not raw.strip():
                    continue
                k, _, v = raw.partition(':')
                c.headers.append((k.strip(), v.strip()))
            elif section == 'map':
                c.map_lines.append(raw)
            else:
                if raw.startswith('=> ') or raw == '=>':
                    if not c.script or not is_ruleset_line(c.script[-1][0]) or c.script[-1][1] is not None:
                        raise SystemExit('%s: `=>` line without a ruleset line before it: %r' % (path, raw))
                    c.script[-1] = (c.script[-1][0], raw[3:])
                else:
                    c.script.append((raw, None))
        return c

    def render(self):
        out = []
        for k, v in self.headers:
            out.append(v if k == '#' else ('%s: %s' % (k, v)).rstrip())
        out.append('== map')
        out.extend(self.map_lines)
        out.append('== script')
        for line, exp in self.script:
            out.append(line)
            if exp is not None:
                out.append('=> ' + exp)
        return '\n'.join(out) + '\n'


def is_ruleset_line(line):
    s = line.strip()
    return bool(s) and not s.startswith('#') and not s.startswith('.')


# ---------------------------------------------------------------------------------------------------------------
# Output normalisation (the contract notation)
# ---------------------------------------------------------------------------------------------------------------
OPS = set('.:%@!^/[]+()<>,;\\')
META = ('$#', '$@', '$:', '$|')


def tokenize(s):
    """Split a `returns:` line as printed by sendmail -bt (tokens separated by one space, quoted strings whole)."""
    toks, i, n = [], 0, len(s)
    while i < n:
        if s[i] == ' ':
            i += 1
            continue
        if s[i] == '"':
            j = i + 1
            while j < n and s[j] != '"':
                j += 2 if s[j] == '\\' else 1
            toks.append(s[i:j + 1])
            i = j + 1
            continue
        j = i
        while j < n and s[j] != ' ':
            j += 1
        toks.append(s[i:j])
        i = j
    return toks


def is_word(t):
    return not (t.startswith('"') or (len(t) == 1 and t in OPS) or t in META)


def join(toks):
    out, prev = '', False
    for t in toks:
        w = is_word(t)
        if prev and w:
            out += ' '
        out += t
        prev = w
    out = out.replace('"', '')
    return re.sub(r'\s+', ' ', out).strip()


def normalise(raw):
    """The contract line for a final workspace. MAILER = tokens after `$#` up to the first `$@`/`$:`; HOST = tokens
    after the first `$@` up to the next `$:`; TEXT = all tokens after that `$:` (later metasymbols stay in the text,
    glued like operators; only seen with malformed workspaces)."""
    toks = tokenize(raw)
    if toks[:1] == ['$#']:
        rest = toks[1:]
        cut = next((i for i, t in enumerate(rest) if t in ('$@', '$:')), len(rest))
        mailer, rest = rest[:cut], rest[cut:]
        host, text = [], []
        if rest[:1] == ['$@']:
            rest = rest[1:]
            cut = rest.index('$:') if '$:' in rest else len(rest)
            host, rest = rest[:cut], rest[cut:]
        if rest[:1] == ['$:']:
            text = rest[1:]
        s = '$#' + join(mailer)
        host, text = join(host), join(text)
        if host:
            s += ' $@ ' + host
        if text:
            s += ' $: ' + text
        return s
    if len(toks) == 1 and re.fullmatch(r'[A-Za-z]+', toks[0]):
        return toks[0]
    return 'OK'


# ---------------------------------------------------------------------------------------------------------------
# Running sendmail
# ---------------------------------------------------------------------------------------------------------------
def sendmail_env():
    return dict(os.environ, RES_OPTIONS='timeout:1 attempts:1')


def translate(line):
    """One line of our bt language -> the sendmail -bt line (None: not sent)."""
    s = line.strip()
    if not s or s.startswith('#'):
        return None
    if s.startswith('.'):
        return line
    if s.startswith('Start,'):
        return line
    return 'Start,' + line.lstrip()


class OracleError(Exception):
    pass


class SocketMap:
    """A sendmail socketmap (netstring protocol) serving a case's map lines for one run: `OK value` for a key in
    the table (first entry wins, keys folded to lower case), `NOTFOUND ` otherwise, and `TEMP simulated` for keys
    containing `marker` (case-insensitive) or entries valued exactly `TMPF`."""

    def __init__(self, path, map_lines, marker):
        import socket
        self.table = {}
        for line in map_lines:
            if not line or line.startswith('#') or line[0].isspace():
                continue
            m = re.match(r'(\S+)[ \t]+(.*)$', line)
            if m and m.group(2):
                self.table.setdefault(m.group(1).lower(), m.group(2))
        self.marker = (marker or '').lower()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(5)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def answer(self, key):
        k = key.lower()
        if (self.marker and self.marker in k) or self.table.get(k) == 'TMPF':
            return 'TEMP simulated'
        if k in self.table:
            return 'OK ' + self.table[k]
        return 'NOTFOUND '

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(c,), daemon=True).start()

    def handle(self, c):
        buf = b''
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    break
                buf += d
                while b':' in buf:
                    n, rest = buf.split(b':', 1)
                    n = int(n)
                    if len(rest) < n + 1:
                        break
                    req, buf = rest[:n].decode('latin-1'), rest[n + 1:]
                    _, key = req.split(' ', 1)
                    resp = self.answer(key).encode('latin-1')
                    c.sendall(str(len(resp)).encode() + b':' + resp + b',')
        finally:
            c.close()

    def close(self):
        self.sock.close()


def run_case(case, verbose=False):
    """Returns a list, per script line, of (normalised or None, raw or None, segment lines)."""
    os.makedirs(WORK, exist_ok=True)
    os.chmod(WORK, 0o755)
    d = tempfile.mkdtemp(prefix='run-', dir=WORK)
    os.chmod(d, 0o755)
    server = None
    try:
        src = '\n'.join(case.map_lines) + '\n' if case.map_lines else ''
        r = subprocess.run(['makemap', 'hash', os.path.join(d, 'access')], input=src.encode('latin-1'),
                           capture_output=True)
        if r.returncode not in (0, 65):
            raise OracleError('makemap failed (%d): %s' % (r.returncode, r.stderr.decode(errors='replace')))
        cf = os.path.join(d, 'test.cf')
        with open(cf, 'w') as f:
            f.write(variant_cf(case.variant).replace('@MAPDIR@', d))
        if case.variant.startswith('tempfail'):
            server = SocketMap(os.path.join(d, 'sock'), case.map_lines, case.header('tempfail-marker'))
        sent, idx = [], []
        for k, (line, _) in enumerate(case.script):
            t = translate(line)
            if t is not None:
                sent.append(t)
                idx.append(k)
        r = subprocess.run(['sendmail', '-C', cf, '-bt'], input=('\n'.join(sent) + '\n').encode('latin-1'),
                           capture_output=True, env=sendmail_env(), timeout=120)
        out = r.stdout.decode('latin-1')
        segs, n = {}, 0
        for l in out.split('\n'):
            while l.startswith('> ') or l == '>':
                n += 1
                l = l[2:]
            segs.setdefault(n, []).append(l)
        if any(l.strip() for l in segs.get(0, [])[2:]):
            raise OracleError('unexpected output before the first command: %r' % segs[0])
        results = [(None, None, [])] * len(case.script)
        for j, k in enumerate(idx, start=1):
            seg = [l for l in segs.get(j, []) if l.strip()]
            line = case.script[k][0]
            if not is_ruleset_line(line):
                if seg:
                    raise OracleError('%s: command %r printed %r' % (case.path, line, seg))
                continue
            rets = [l for l in seg if re.match(r'^\S+\s+returns:( |$)', l)]
            errs = [l for l in seg if not re.match(r'^\S+\s+(returns|input):( |$)', l)]
            if errs and not all(is_diagnostic(l) for l in errs):
                raise OracleError('%s: command %r: sendmail said %r' % (case.path, line, seg))
            if not rets:
                # Nothing ran (no tokens, or the input parser refused the line): the contract says `OK`.
                results[k] = ('OK', None, seg)
                continue
            raw = re.sub(r'^\S+\s+returns:( |$)', '', rets[-1])
            results[k] = (normalise(raw), raw, seg)
        return results
    finally:
        if server is not None:
            server.close()
        if not os.environ.get('ORACLE_KEEP'):
            subprocess.run(['rm', '-rf', d])


# Messages sendmail -bt prints about a ruleset line's input while still running it (or instead of running it): the
# address parser's complaints (`x... Unbalanced '<'`, `553 … Unbalanced '('`, `… Address too long`) and `No address!`.
DIAGNOSTIC = re.compile(r'^(rewrite: excessive recursion .*|== Ruleset .* status \d+|Undefined ruleset .*|8-bit character in mailbox address .*|.*\.\.\. .*|\d{3}[ -].*|No address!|.*too long.*|.*: line too long.*)$')


def is_diagnostic(line):
    return bool(DIAGNOSTIC.match(line)) and not re.match(r'^\S+\s+(returns|input):', line)


def class_members(cls):
    os.makedirs(WORK, exist_ok=True)
    c = Case()
    c.script = [('$=%s' % cls, None)]
    d = tempfile.mkdtemp(prefix='cls-', dir=WORK)
    os.chmod(d, 0o755)
    try:
        cf = os.path.join(d, 'test.cf')
        with open(cf, 'w') as f:
            f.write(variant_cf('default').replace('@MAPDIR@', d))
        r = subprocess.run(['sendmail', '-C', cf, '-bt'], input='$=%s\n' % cls, capture_output=True, text=True,
                           env=sendmail_env())
        lines = r.stdout.split('\n')
        out = []
        for l in lines[2:]:
            while l.startswith('> ') or l == '>':
                l = l[2:]
            if l.strip():
                out.append(l.strip())
        return out
    finally:
        subprocess.run(['rm', '-rf', d])


# Members every engine run has in class w without being told (see README); anything else sendmail adds from the
# machine must not influence a recorded result.
ENGINE_W = {'localhost'}


def machine_names():
    return {m.lower() for m in class_members('w') + class_members('m')} - ENGINE_W


def mentions_machine(case, names):
    """True if a ruleset input or macro/class value of the case names one of this machine's own names."""
    return names_any(names, (line for line, _ in case.script))


def names_any(names, texts):
    """True if one of the texts holds one of the names as a word (or as the tail of a dotted word)."""
    words = set()
    for line in texts:
        for t in re.findall(r'[a-z0-9.\-_:\[\]]+', line.lower()):
            t = t.strip('.')
            parts = t.strip('[]').split('.')
            for i in range(len(parts)):
                words.add('.'.join(parts[i:]))
            words.add(t)
            words.add('[' + t.strip('[]') + ']')
    return bool(words & names)


def record_file(path, check=False, names=None):
    with open(path, encoding='latin-1') as f:
        text = f.read()
    case = Case.parse(text, path)
    if names is not None and mentions_machine(case, names):
        return path, 'skip', 'mentions one of this machine\'s own names (%s)' % ', '.join(sorted(names))
    res = run_case(case)
    if names is not None and names_any(names, (r[0] for r in res if r[0] is not None)):
        # sendmail put its own name into a result (delay_checks' FullAddr appends `<@ $j>`): machine-dependent.
        return path, 'skip', 'a result names one of this machine\'s own names (%s)' % ', '.join(sorted(names))
    diffs = []
    for k, (line, exp) in enumerate(case.script):
        got = res[k][0]
        if got is None:
            continue
        if check and exp != got:
            diffs.append('  %s\n    golden:   %s\n    sendmail: %s  [raw: %s]' % (line, exp, got, res[k][1]))
        case.script[k] = (line, got)
    if check:
        return path, ('ok' if not diffs else 'diff'), '\n'.join(diffs)
    new = case.render()
    if new != text:
        with open(path, 'w', encoding='latin-1') as f:
            f.write(new)
    return path, 'ok', ''


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 64
    cmd = argv[1]
    if cmd == 'mc':
        print(variant_mc(argv[2]).replace('@MAPDIR@', 'DIR'), end='')
        return 0
    if cmd == 'classw':
        print('w:', ' '.join(class_members('w')))
        print('m:', ' '.join(class_members('m')))
        print('R:', ' '.join(class_members('R')))
        print('TrustAuthMech:', ' '.join(class_members('{TrustAuthMech}')))
        return 0
    if cmd == 'show':
        verbose = '-v' in argv
        path = [a for a in argv[2:] if not a.startswith('-')][0]
        with open(path, encoding='latin-1') as f:
            case = Case.parse(f.read(), path)
        res = run_case(case)
        for k, (line, exp) in enumerate(case.script):
            print(line)
            norm, raw, seg = res[k]
            if norm is None:
                continue
            if verbose:
                for l in seg:
                    print('   | ' + l)
            mark = '' if exp is None or exp == norm else '   <<< golden: ' + exp
            print('=> %s   [raw: %s]%s' % (norm, raw, mark))
        return 0
    if cmd == 'record':
        args = argv[2:]
        check = '--check' in args
        jobs = 2
        if '--jobs' in args:
            jobs = int(args[args.index('--jobs') + 1])
            args = args[:args.index('--jobs')] + args[args.index('--jobs') + 2:]
        files = [a for a in args if not a.startswith('--')]
        names = machine_names()
        bad, skipped = 0, 0
        with ThreadPoolExecutor(max_workers=jobs) as ex:
            for path, status, msg in ex.map(lambda p: record_file(p, check, names), files):
                if status == 'skip':
                    skipped += 1
                    print('SKIP %s: %s' % (path, msg), file=sys.stderr)
                elif status != 'ok':
                    bad += 1
                    print('DIFF %s\n%s' % (path, msg))
        print('%s %d case files: %d differ, %d skipped' % ('checked' if check else 'recorded', len(files), bad,
                                                          skipped), file=sys.stderr)
        return 1 if bad or (skipped and check) else 0
    print(__doc__)
    return 64


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv))
    except OracleError as e:
        print('oracle: %s' % e, file=sys.stderr)
        sys.exit(2)
