#!/usr/bin/env python3
"""Seeded generator of conformance cases (access maps + bt scripts) for the TLS and relay rulesets.

usage: gen.py --suite SUITE|all --seed N --count K --out DIR

Writes DIR/<suite>/<suite>-<seed>-<k>.txt without expectations (`oracle.py record` fills them in).
Every case is derived from random.Random("<suite>:<seed>:<k>") only, so the same arguments always give the same
files (Python 3.2+ string seeding is stable across versions and machines).

Names and addresses come from documentation ranges (example.*, .test, 10/8, 172.16/12, 198.51.100/24,
203.0.113/24, 192.0.2/24 minus .2, 2001:db8::/32) and never name the recording machine; class w members are added
explicitly with `.C{w}` lines.
"""
import argparse
import os
import random

# ------------------------------------------------------------------------------------------------ vocabulary
VERIFY = ['OK', 'TRUSTED', 'ok', 'Trusted', 'FAIL', 'fail', 'NO', 'NOT', 'NONE', 'CLEAR', 'TEMP', 'PROTOCOL',
          'SOFTWARE', 'software', 'DANE_FAIL', 'CONFIG', 'FAILURE', 'BOGUS', '']
BITS = ['0', '40', '56', '64', '80', '112', '128', '168', '256', '512']
MACRO_BITS = BITS + ['', 'abc', '0128']
PARENTS = ['example.com', 'example.net', 'example.org', 'secure.example', 'mx.test', 'corp.example',
           'partner.test', 'rebels.org']
LABELS = ['mx', 'mx1', 'smtp', 'mail', 'relay', 'a', 'b', 'edge', 'out', 'in', 'gw']
DNS = ['/C=US/O=Example+20CA/CN=Root', '/C=DE/O=Partner/CN=Partner+20CA', '/C=US/O=Evil/CN=Root',
       '/CN=mx.secure.example.com', '/C=US/O=Test+20+28Org+29+20+3Cq+3E/CN=client+20one+5C+2Bx=y',
       '/C=US/O=Example+20CA/CN=Intermediate', '/O=Self/CN=self.example']
CITAGS = ['MyCA', 'Partner', 'Nope']
ADDR4_POOLS = ['10', '172.16', '198.51.100', '203.0.113', '192.0.2']
USERS = ['user', 'alice', 'bob', 'postmaster', 'joe', 'leia', 'root', 'Admin']


def mixcase(rng, s, p=0.25):
    if rng.random() >= p:
        return s
    return ''.join(ch.upper() if rng.random() < 0.5 else ch.lower() for ch in s)


def ipv4(rng):
    pool = rng.choice(ADDR4_POOLS)
    parts = pool.split('.')
    while len(parts) < 4:
        parts.append(str(rng.choice([1, 3, 7, 9, 10, 20, 33, 77, 100, 200, 254])))
    if parts[:3] == ['192', '0', '2'] and parts[3] == '2':
        parts[3] = '22'
    return '.'.join(parts)


def ipv6(rng):
    groups = ['2001', 'db8'] + [rng.choice(['0', '1', '5', 'a', '77', 'beef']) for _ in range(6)]
    return 'IPv6:' + ':'.join(groups)


def prefix4(rng, addr):
    parts = addr.split('.')
    return '.'.join(parts[:rng.randint(1, 4)])


def prefix6(rng, addr):
    groups = addr.split(':')      # ['IPv6', g1..g8]
    return ':'.join(groups[:rng.randint(2, 9)])


class World:
    """A small set of peers (names and addresses) shared by a case's map and script."""

    def __init__(self, rng, n=5):
        self.rng = rng
        self.hosts = []
        for _ in range(n):
            parent = rng.choice(PARENTS)
            name = rng.choice(LABELS) + '.' + parent
            if rng.random() < 0.3:
                name = rng.choice(LABELS) + '.' + name
            addr = ipv6(rng) if rng.random() < 0.25 else ipv4(rng)
            self.hosts.append((name, addr))

    def host_key(self):
        """A D-search key: a name, a parent domain, or a bracketed literal prefix."""
        rng = self.rng
        name, addr = rng.choice(self.hosts)
        r = rng.random()
        if r < 0.45:
            return mixcase(rng, name)
        if r < 0.7:
            return mixcase(rng, name.split('.', 1)[1])
        if r < 0.8:
            return '.'.join(name.split('.')[-1:])
        if addr.startswith('IPv6:'):
            return '[' + prefix6(rng, addr) + ']'
        return '[' + prefix4(rng, addr) + ']'

    def addr_key(self):
        rng = self.rng
        _, addr = rng.choice(self.hosts)
        if addr.startswith('IPv6:'):
            k = prefix6(rng, addr)
            return k if rng.random() < 0.9 else k.replace('IPv6:', 'ipv6:')
        return prefix4(rng, addr)

    def any_key(self):
        return self.host_key() if self.rng.random() < 0.6 else self.addr_key()

    def peer(self):
        """(name, addr) for a session: a known host, a subdomain/parent of one, an unknown one, a literal."""
        rng = self.rng
        name, addr = rng.choice(self.hosts)
        r = rng.random()
        if r < 0.4:
            return mixcase(rng, name), addr
        if r < 0.55:
            return rng.choice(LABELS) + '.' + name, addr
        if r < 0.65:
            return 'unknown.' + rng.choice(['example', 'invalid.test', 'nowhere.example']), ipv4(rng)
        if r < 0.8:
            return '[' + addr + ']', addr
        if r < 0.87:
            return '', addr
        if r < 0.92:
            return name, ''
        if r < 0.96:
            return name + '.', addr
        return '', ''


# ------------------------------------------------------------------------------------------------ TLS values
def gen_req(rng, names, dns):
    """A TLS requirement value (access-map.md §4.4), including malformed and quirky forms."""
    r = rng.random()
    prefix = ''
    if r < 0.2:
        prefix = rng.choice(['PERM+', 'TEMP+', 'perm+', 'Temp+'])
    elif r < 0.23:
        prefix = rng.choice(['TEMP+PERM+', 'FOO+', 'PERM', 'PERM++'])
    b = rng.random()
    bits = rng.choice(BITS)
    if b < 0.3:
        base = rng.choice(['VERIFY', 'verify', 'Verify'])
    elif b < 0.55:
        base = rng.choice(['VERIFY', 'verify']) + ':' + bits
    elif b < 0.85:
        base = rng.choice(['ENCR', 'encr']) + ':' + bits
    else:
        base = rng.choice(['ENCR', 'VERIFY:', 'ENCR:', 'ENCR:abc', 'ENCR:0x80', 'VERIFY:abc', 'NONE', 'OK',
                           'REJECT', 'ENCR:128 VERIFY', 'VERIFY :128', 'ENCR: 128', 'VERIFY:128 CN'])
    exts = []
    for _ in range(rng.choice([0, 0, 1, 1, 1, 2, 2, 3])):
        e = rng.random()
        if e < 0.2:
            exts.append(rng.choice(['CN', 'cn']))
        elif e < 0.45:
            n = rng.choice(names) if names else 'mx.example.com'
            n = rng.choice([n, mixcase(rng, n, 1.0), n + '.', '*.' + n.split('.', 1)[-1], 'other.example'])
            exts.append(rng.choice(['CN:', 'cn:']) + n)
        elif e < 0.6:
            exts.append('CS:' + rng.choice(dns))
        elif e < 0.75:
            exts.append(rng.choice(['CI:', 'ci:']) + rng.choice(dns))
        elif e < 0.92:
            exts.append(rng.choice(['CITag:', 'citag:']) + rng.choice(CITAGS))
        else:
            exts.append(rng.choice(['FOO:bar', 'CN:', 'CS:', 'XX']))
    v = prefix + base
    for i, e in enumerate(exts):
        sep = '+' if i == 0 else '++'
        if rng.random() < 0.08:
            sep = rng.choice(['+', '++', ' +', '+ '])
        v += sep + e
    return v


def decorate_value(rng, v):
    """Occasionally add a comment, quotes or trailing blanks to a map value."""
    r = rng.random()
    if r < 0.04:
        return v + ' (comment)'
    if r < 0.07:
        return '"' + v + '"'
    if r < 0.09:
        return v + '  '
    return v


def tls_macros(rng, lines, peer_kind, world, tls_name):
    """Random TLS macro settings; some macros are left as they were (state carries over within a run)."""
    dns = DNS

    def setm(name, value):
        lines.append('.D{%s}%s' % (name, value))
    if rng.random() < 0.8:
        setm('cipher_bits', rng.choice(MACRO_BITS))
    if rng.random() < 0.4:
        setm('auth_ssf', rng.choice(MACRO_BITS))
    if rng.random() < 0.7:
        r = rng.random()
        if r < 0.4 and tls_name:
            cn = mixcase(rng, tls_name.strip('[]'), 0.3)
        elif r < 0.7:
            cn = rng.choice(world.hosts)[0]
        elif r < 0.85:
            cn = ''
        else:
            cn = rng.choice(['evil.example.com', 'BadCertificateUnknown', 'client+20one+2Bx=y'])
        setm('cn_subject', cn)
    if rng.random() < 0.6:
        setm('cert_subject', rng.choice(dns + ['']))
    if rng.random() < 0.6:
        setm('cert_issuer', rng.choice(dns + ['']))


def citag_entries(rng, m):
    for tag in CITAGS[:2]:
        for dn in rng.sample(DNS, rng.randint(0, 3)):
            m.append('%s:%s\t%s' % (mixcase(rng, tag), dn, rng.choice(['OK', 'OK', 'ok', 'REJECT', 'RELAY'])))


def noise_entries(rng, m, world, tags):
    for _ in range(rng.randint(0, 3)):
        m.append('%s:%s\t%s' % (rng.choice(tags), world.any_key(), rng.choice(['VERIFY', 'ENCR:256', 'NO', 'OK'])))


def dedupe(m):
    """Keep the first entry per folded key (makemap keeps the first and complains about the rest)."""
    seen, out = set(), []
    for line in m:
        if not line or line.startswith('#'):
            out.append(line)
            continue
        k = line.split('\t', 1)[0].split(' ', 1)[0].lower()
        if k in seen:
            continue
        seen.add(k)
        out.append(line)
    return out


def gen_tls_peer(rng, tag, rs):
    """tls_client (tag TLS_Clt, client_* macros) or tls_server (TLS_Srv, server_* macros)."""
    world = World(rng, rng.randint(3, 6))
    names = [h for h, _ in world.hosts]
    m = []
    for _ in range(rng.randint(2, 8)):
        key = world.any_key() if rng.random() < 0.9 else mixcase(rng, world.any_key(), 1.0)
        m.append('%s:%s\t%s' % (mixcase(rng, tag, 0.15), key, decorate_value(rng, gen_req(rng, names, DNS))))
    if rng.random() < 0.5:
        m.append('%s:\t%s' % (tag, gen_req(rng, names, DNS)))
    citag_entries(rng, m)
    noise_entries(rng, m, world, ['TLS_Srv' if tag == 'TLS_Clt' else 'TLS_Clt', 'Connect', 'Try_TLS'])
    if rng.random() < 0.3:
        m.append(world.any_key() + '\tVERIFY:256')
    rng.shuffle(m)
    m = dedupe(m)
    who = 'client' if tag == 'TLS_Clt' else 'server'
    s = []
    for _ in range(rng.randint(10, 18)):
        if rng.random() < 0.85:
            name, addr = world.peer()
            if rng.random() < 0.9:
                s.append('.D{%s_name}%s' % (who, name))
            if rng.random() < 0.9:
                s.append('.D{%s_addr}%s' % (who, addr))
        else:
            name = None
        tls_macros(rng, s, who, world, name or '')
        v = rng.choice(VERIFY)
        if rs == 'tls_server' and v == '':
            v = 'NONE'     # an empty argument cannot be given to sendmail -bt (nothing is printed)
        if rng.random() < 0.9:
            s.append('.D{verify}%s' % v)
        if rs == 'tls_client':
            s.append('tls_client %s $| %s' % (v, rng.choice(['MAIL', 'MAIL', 'STARTTLS'])))
        else:
            s.append('tls_server %s' % v)
    return 'default' if rng.random() < 0.9 else 'tls_perm_err', m, s


def gen_tls_client(rng):
    return gen_tls_peer(rng, 'TLS_Clt', 'tls_client')


def gen_tls_server(rng):
    return gen_tls_peer(rng, 'TLS_Srv', 'tls_server')


def rcpt_forms(rng, user, dom):
    forms = ['<%s@%s>', '%s@%s', '<%s@%s.>', '<%s+tag@%s>', '<%s+@%s>', '<%s+a+b@%s>']
    f = rng.choice(forms)
    return f % (mixcase(rng, user), mixcase(rng, dom))


def gen_tls_rcpt(rng):
    world = World(rng, 4)
    names = [h for h, _ in world.hosts]
    doms = sorted({h.split('.', 1)[1] for h in names})
    m = []
    for _ in range(rng.randint(3, 9)):
        r = rng.random()
        u = rng.choice(USERS)
        d = rng.choice(doms + names)
        if r < 0.3:
            key = '%s@%s' % (u, d)
        elif r < 0.45:
            key = '%s@' % u
        elif r < 0.55:
            key = '%s+*@%s' % (u, d)
        elif r < 0.6:
            key = '%s+*@' % u
        else:
            key = d if rng.random() < 0.8 else d.split('.', 1)[-1]
        m.append('%s:%s\t%s' % (mixcase(rng, 'TLS_Rcpt', 0.1), mixcase(rng, key),
                                decorate_value(rng, gen_req(rng, names, DNS))))
    if rng.random() < 0.4:
        m.append('TLS_Rcpt:\t%s' % gen_req(rng, names, DNS))
    citag_entries(rng, m)
    noise_entries(rng, m, world, ['TLS_Srv', 'To', 'Connect'])
    rng.shuffle(m)
    m = dedupe(m)
    s = []
    for _ in range(rng.randint(10, 18)):
        name, addr = world.peer()
        s.append('.D{server_name}%s' % name)
        if rng.random() < 0.5:
            s.append('.D{server_addr}%s' % addr)
        tls_macros(rng, s, 'server', world, name)
        if rng.random() < 0.95:
            s.append('.D{verify}%s' % rng.choice(VERIFY))
        u = rng.choice(USERS)
        r = rng.random()
        if r < 0.75:
            d = rng.choice(doms + names + ['elsewhere.example'])
            if rng.random() < 0.3:
                d = rng.choice(LABELS) + '.' + d
            a = rcpt_forms(rng, u, d)
        elif r < 0.9:
            a = rng.choice(['<%s>', '%s', '<%s+x>']) % u
        else:
            a = rng.choice(['<@relay.example:%s@%s>', '<"%s"@%s>', '<%s%%other.example@%s>']) % (u, rng.choice(doms))
        s.append('tls_rcpt %s' % a)
    return 'default' if rng.random() < 0.9 else 'tls_perm_err', m, s


FEATURE_VALUES = ['V', 'v', 'A', 'a', 'S', 's', 'V A', 'AP', 'L', 'l', 'D E X', 'temp', 'TEMP', 'tempfail',
                  'x', 'V A S P', 'C c', 'h', 'n', 'M', 'Z']


def gen_tls_misc(rng):
    """try_tls, srv_features, clt_features, RelayTLS and trust_auth in one run."""
    world = World(rng, 4)
    m = []
    for _ in range(rng.randint(1, 5)):
        m.append('Try_TLS:%s\t%s' % (world.any_key(), rng.choice(['NO', 'no', 'NO', 'YES', 'OK', 'NOPE', 'NO x',
                                                                  '"NO"', 'NO (comment)'])))
    if rng.random() < 0.4:
        m.append('Try_TLS:\t%s' % rng.choice(['NO', 'YES']))
    for tag in ['Srv_Features', 'Clt_Features']:
        for _ in range(rng.randint(0, 4)):
            m.append('%s:%s\t%s' % (mixcase(rng, tag, 0.2), world.any_key(), rng.choice(FEATURE_VALUES)))
        if rng.random() < 0.4:
            m.append('%s:\t%s' % (tag, rng.choice(FEATURE_VALUES)))
    for dn in rng.sample(DNS, rng.randint(0, 4)):
        m.append('CERTISSUER:%s\t%s' % (dn, rng.choice(['RELAY', 'relay', 'SUBJECT', 'subject', 'OK', 'REJECT'])))
    for dn in rng.sample(DNS, rng.randint(0, 3)):
        m.append('CERTSUBJECT:%s\t%s' % (dn, rng.choice(['RELAY', 'relay', 'OK', 'SUBJECT'])))
    noise_entries(rng, m, world, ['TLS_Srv', 'TLS_Clt', 'Connect'])
    rng.shuffle(m)
    m = dedupe(m)
    s = []
    if rng.random() < 0.3:
        s.append('.C{TrustAuthMech}%s' % rng.choice(['PLAIN LOGIN', 'EXTERNAL', 'plain']))
    for _ in range(rng.randint(12, 22)):
        which = rng.choice(['try_tls', 'srv_features', 'clt_features', 'RelayTLS', 'RelayTLS', 'trust_auth'])
        name, addr = world.peer()
        if which == 'try_tls':
            s.append('.D{server_name}%s' % name)
            s.append('.D{server_addr}%s' % addr)
            s.append('try_tls %s' % rng.choice(['x', name or 'x']))
        elif which in ('srv_features', 'clt_features'):
            s.append('.D{client_name}%s' % name)
            s.append('.D{client_addr}%s' % addr)
            s.append('%s x' % which)
        elif which == 'RelayTLS':
            s.append('.D{verify}%s' % rng.choice(['OK', 'TRUSTED', 'FAIL', 'ok', 'trusted', 'NO', '', 'NONE']))
            s.append('.D{cert_issuer}%s' % rng.choice(DNS + ['']))
            s.append('.D{cert_subject}%s' % rng.choice(DNS + ['']))
            s.append('RelayTLS x')
        else:
            if rng.random() < 0.85:
                s.append('.D{auth_type}%s' % rng.choice(['PLAIN', 'LOGIN', 'EXTERNAL', 'plain', '']))
            authen = rng.choice(['alice', 'Alice', 'bob@example.com', '/C=US/O=Example+20CA/CN=Root', ''])
            if rng.random() < 0.85:
                s.append('.D{auth_authen}%s' % authen)
            if rng.random() < 0.3:
                s.append('.D{auth_author}%s' % rng.choice(['carol', 'alice', '']))
            arg = rng.choice(['alice', '<alice>', 'ALICE', 'bob@example.com', '<bob@example.com>', 'carol', authen or
                              'x', '<' + (authen or 'x') + '>'])
            s.append('trust_auth %s' % arg)
    return 'default', m, s


# ------------------------------------------------------------------------------------------------ relay
# Lines per relay case are multiplied by SCALE (`--scale N`; 1 for the goldens).
SCALE = 1
LOCAL = 'local.example'
RELAYDOM = 'relaydomain.example'
POLICY_VALUES = ['OK', 'RELAY', 'REJECT', 'DISCARD', 'SKIP', 'ok', 'relay', 'Reject',
                 'QUARANTINE:held for review', 'QUARANTINE:"held, for review"', 'ERROR:550 go away',
                 'ERROR:5.7.1:550 go away', 'ERROR:4.2.2:450 mailbox full', 'ERROR:"550 go away, now: bye"',
                 'ERROR:550 Go away, spammer: see http://x.example/a?b=c', 'ERROR:no code here', 'ERROR:',
                 '"551 legacy text"', '552 unquoted   text (here)', '### legacy', 'FOO bar', 'SPAMFRIEND',
                 'ERROR:550 rejected %0', 'ERROR:550 50% off %1 %% %x', 'QUARANTINE:', 'TEMP', 'FRIEND', 'HATER',
                 'ERROR:550 5.7.9 dsn in text', 'REJECT (unquoted comment)', 'OK   ']


def open_relay_addresses(rng, other, user='user'):
    """The classic open-relay test table (rulesets.md §15.4) plus ordinary forms."""
    L, R = LOCAL, RELAYDOM
    table = [
        '<%s@%s>' % (user, L), '<%s@%s>' % (user, L.upper()), '<%s@%s.>' % (user, L), '%s@%s' % (user, L),
        '<%s@%s>' % (user, other), '<%s@%s>' % (user.upper(), other.upper()), '<%s@%s.>' % (user, other),
        '%s@%s' % (user, other), '<%s+detail@%s>' % (user, other), '<%s+detail@%s>' % (user, L),
        '<%s%%%s@%s>' % (user, other, L), '<%s%%%s@%s>' % (user, other, R), '<%s%%%s@%s>' % (user, L, L),
        '<%s!%s@%s>' % (other, user, L), '<%s!%s@%s>' % (other, user, R), '<%s!%s>' % (other, user),
        '<"%s@%s"@%s>' % (user, other, L), '<"%s%%%s"@%s>' % (user, other, L), '<"%s"@%s>' % (user, L),
        '<@%s:%s@%s>' % (L, user, other), '<@%s,@%s:%s@%s>' % (L, R, user, other),
        '<%s@[10.1.2.3]>' % user, '<%s@[192.0.2.9]>' % user, '<%s@[IPv6:2001:db8:0:0:0:0:0:1]>' % user,
        '<%s@%s@%s>' % (user, other, L), '<%s%%%s>' % (user, other), '<%s>' % user, user, '<>',
        '<%s@%s>' % (user, R), '<%s@sub.%s>' % (user, R), '<%s@%s%s>' % (user, 'x', R),
        '<%s%%%s@%s>' % (user, 'x.' + R, R), '<%s@%s>' % (user, 'partner.test'),
        '<%s@mx.partner.test>' % user, '<%s%%partner.test@%s>' % (user, R), '<%s@10.1.2.3>' % user,
        '<%s@localhost>' % user, '<%s%%%s@localhost>' % (user, other),
    ]
    return table


def relay_world(rng):
    world = World(rng, 4)
    return world


def relay_map(rng, world, tags, nvals=None):
    m = []
    for _ in range(rng.randint(2, 9)):
        tag = rng.choice(tags)
        r = rng.random()
        if tag in ('From', 'To', 'Spam'):
            u = rng.choice(USERS + ['user'])
            d = rng.choice(['other.net', 'bad.example', LOCAL, RELAYDOM, 'partner.test', world.hosts[0][0]])
            if r < 0.3:
                key = '%s@%s' % (u, d)
            elif r < 0.45:
                key = '%s@' % u
            elif r < 0.55:
                key = '%s+*@%s' % (u, d)
            else:
                key = d if rng.random() < 0.8 else 'sub.' + d
        else:
            key = world.any_key()
        tagged = '' if rng.random() < 0.12 else mixcase(rng, tag, 0.15) + ':'
        if tag == 'Spam':
            val = rng.choice(['FRIEND', 'HATER', 'friend', 'OK', 'REJECT'])
        elif tag == 'To' and rng.random() < 0.5:
            val = 'RELAY'
        else:
            val = rng.choice(POLICY_VALUES)
        m.append('%s%s\t%s' % (tagged, mixcase(rng, key), val))
    return m


def relay_context(rng, s, world):
    """Session macros for check_mail/check_rcpt: client, TLS, AUTH."""
    name, addr = world.peer()
    r = rng.random()
    if r < 0.07:
        addr = rng.choice(['', '0', 'IPv6:0:0:0:0:0:0:0:1', '127.0.0.2', '10.77.1.1', '10.771.1.1'])
    s.append('.D{client_name}%s' % name)
    s.append('.D{client_addr}%s' % addr)
    if rng.random() < 0.8:
        s.append('.D{client_resolve}%s' % rng.choice(['OK'] * 8 + ['FAIL', 'FORGED', 'TEMP', '']))
    if rng.random() < 0.3:
        s.append('.D{auth_type}%s' % rng.choice(['PLAIN', 'plain', 'LOGIN', 'EXTERNAL', 'CRAM-MD5', '']))
    if rng.random() < 0.25:
        s.append('.D{verify}%s' % rng.choice(['OK', 'TRUSTED', 'FAIL', 'NO', '']))
        s.append('.D{cert_issuer}%s' % rng.choice(DNS + ['']))
        s.append('.D{cert_subject}%s' % rng.choice(DNS + ['']))


def gen_check_relay(rng):
    world = relay_world(rng)
    m = relay_map(rng, world, ['Connect'] * 5 + ['From', 'To'])
    if rng.random() < 0.3:
        m.append('Connect:%s\t%s' % (world.addr_key(), rng.choice(POLICY_VALUES)))
    rng.shuffle(m)
    m = dedupe(m)
    s = []
    for _ in range(rng.randint(12, 20) * SCALE):
        name, addr = world.peer()
        if addr == '' and name == '':
            addr = ipv4(rng)
        s.append('check_relay %s $| %s' % (name, addr))
    variant = rng.choice(['default'] * 4 + ['skip', 'lookupdotdomain'])
    if variant == 'lookupdotdomain':
        for _ in range(2):
            n = rng.choice(world.hosts)[0]
            m.append('Connect:.%s\t%s' % (n.split('.', 1)[1], rng.choice(['REJECT', 'OK', 'ERROR:550 dotted'])))
        m = dedupe(m)
    return variant, m, s


def gen_check_mail(rng):
    world = relay_world(rng)
    m = relay_map(rng, world, ['From'] * 4 + ['Connect', 'To'])
    if rng.random() < 0.3:
        m.append('TLS_Clt:%s\t%s' % (world.any_key(), gen_req(rng, [h for h, _ in world.hosts], DNS)))
    rng.shuffle(m)
    m = dedupe(m)
    s = ['.C{w}%s' % LOCAL]
    senders = ['<%s@%s>' % (u, d) for u in USERS for d in ['other.net', 'bad.example', LOCAL, 'partner.test']]
    senders += ['<>', '<user>', 'user', '<user@localhost>', '<user@[127.0.0.1]>', '<user+zz@other.net>',
                '<user+zz@bad.example>', '<USER@OTHER.NET>', '<user@other.net.>', '<@x.example:user@other.net>',
                '<user@[IPv6:0:0:0:0:0:0:0:1]>', 'user@other.net', '<joe+abc@nowhere.example>',
                '<user@%s>' % world.hosts[0][0]]
    # senders that hit (or nearly hit) the map's own From:/untagged keys
    for line in m:
        key = line.split('\t', 1)[0]
        key = key.split(':', 1)[1] if ':' in key and not key.lower().startswith(('ipv6', '[')) else key
        if key.endswith('@'):
            senders.append('<%s%s>' % (key, rng.choice(['other.net', LOCAL])))
            senders.append('<%s>' % key[:-1])
        elif '@' in key:
            senders.append('<%s>' % key.replace('*', rng.choice(['', 'x', 'a+b'])))
        elif not key.startswith('['):
            senders.append('<%s@%s%s>' % (rng.choice(USERS), rng.choice(['', 'sub.']), key))
    for _ in range(rng.randint(12, 20) * SCALE):
        if rng.random() < 0.5:
            relay_context(rng, s, world)
        if rng.random() < 0.15:
            s.append('.D{daemon_flags}%s' % rng.choice(['', 'u', 'f', 'CC f']))
        if rng.random() < 0.08:
            s.append('.D{verify}%s' % rng.choice(VERIFY))
        a = rng.choice(senders)
        if '[127.0.0.1]' in a:
            a = '<user@[IPv6:::1]>'
        s.append('check_mail %s' % a)
    variant = rng.choice(['default'] * 4 + ['skip', 'lookupdotdomain'])
    return variant, m, s


RCPT_VARIANTS = ['default'] * 5 + ['delay_checks', 'delay_checks', 'delay_checks_friend', 'delay_checks_hater',
                                   'relay_hosts_only', 'relay_entire_domain', 'relay_mail_from',
                                   'relay_mail_from_domain', 'blocklist_recipients', 'blocklist_delay_checks',
                                   'skip', 'lookupdotdomain', 'relaytofulladdress']


def gen_check_rcpt(rng):
    world = relay_world(rng)
    variant = rng.choice(RCPT_VARIANTS)
    tags = ['To', 'To', 'Connect', 'From']
    if variant.startswith('delay_checks_'):
        tags += ['Spam', 'Spam']
    m = relay_map(rng, world, tags)
    if rng.random() < 0.5:
        m.append('Connect:%s\tRELAY' % world.addr_key())
    if rng.random() < 0.4:
        m.append('Connect:%s\tRELAY' % world.host_key())
    if rng.random() < 0.5:
        m.append('To:%s\tRELAY' % rng.choice(['partner.test', 'x.' + RELAYDOM, 'other.net', 'user@partner.test']))
    if rng.random() < 0.2:
        m.append('CERTISSUER:%s\t%s' % (rng.choice(DNS), rng.choice(['RELAY', 'SUBJECT'])))
        m.append('CERTSUBJECT:%s\tRELAY' % rng.choice(DNS))
    if variant == 'relay_mail_from' or variant == 'relay_mail_from_domain':
        m.append('From:%s\tRELAY' % rng.choice(['sender@trusted.example', 'trusted.example', 'sender@']))
    rng.shuffle(m)
    m = dedupe(m)
    s = []
    if rng.random() < 0.7:
        s.append('.C{w}%s' % LOCAL)
    if rng.random() < 0.5:
        s.append('.C{R}%s' % rng.choice([RELAYDOM, RELAYDOM + ' 10.77', 'IPv6:2001:db8:77 ' + RELAYDOM]))
    if rng.random() < 0.4:
        s.append('.C{TrustAuthMech}%s' % rng.choice(['PLAIN LOGIN', 'EXTERNAL PLAIN', 'LOGIN']))
    if variant == 'relay_entire_domain' and rng.random() < 0.7:
        s.append('.C{m}%s' % rng.choice(['example.net', 'partner.test', LOCAL]))
    other = rng.choice(['other.net', 'bad.example', world.hosts[0][0]])
    table = open_relay_addresses(rng, other, rng.choice(['user', 'joe', 'Alice']))
    for _ in range(rng.randint(12, 22) * SCALE):
        if rng.random() < 0.45:
            relay_context(rng, s, world)
        if variant.startswith('delay_checks') or variant.startswith('relay_mail_from') or \
                variant == 'blocklist_delay_checks':
            if rng.random() < 0.4:
                f = rng.choice(['<sender@trusted.example>', '<x@other.net>', '<>', '<user@bad.example>',
                                '<okuser@good.example>', '<spammer@bad.example>'])
                s.append('.D{mail_from}%s' % f)
                if variant.startswith('relay_mail_from'):
                    pass
        s.append('check_rcpt %s' % rng.choice(table))
    return variant, m, s


# ------------------------------------------------------------------------------------------------ chaos
# Random character soup in inputs, macro values and map values: operators, quotes, parentheses, brackets,
# backslashes, `$`, `#`, 8-bit text (valid UTF-8 only: the case files and the Swift harness are UTF-8), empty and
# white-space-only values, very long tokens. Strings are kept as latin-1 code points so that `encoding='latin-1'`
# writes the UTF-8 bytes.
SOUP_CHARS = 'abcxyzABC0123456789' * 3 + '.:[]@+/=()<>"\\,;% !^$\'-_*#&|{}~?\t'
# Only characters whose UTF-8 bytes avoid 0x80-0x9F: sendmail uses those bytes as metasymbols internally (in macro
# and map values they act as `$&`, `$#`, …, which is outside the contract); in a ruleset input they make sendmail
# refuse the line, which the address soup tests with its own characters.
UTF8_BITS = [s.encode('utf-8').decode('latin-1') for s in ['é', 'ü', 'ñ', 'ø', '中', '\u00a0']]
INPUT_8BIT = [s.encode('utf-8').decode('latin-1') for s in ['€', 'ß', 'Ж']]
# Bytes that are not UTF-8 (Latin-1 letters, a lone lead byte, 0xA0, 0xFF): sendmail keeps them as bytes.
RAW_8BIT = ['\xe9', '\xfc', '\xa0', '\xff', '\xc2', '\xe4x']
JUNK_ATOMS = ['u', 'user', 'a.b', 'x', LOCAL, RELAYDOM, 'other.net', 'h', '"q u"', '"u@v"', '"a\\"b"',
              '[10.1.2.3]', '[IPv6:2001:db8::1]', '[1.2]', 'UUCP', 'foo.UUCP', '', '(c)', 'Joe Q', '"', '\\@',
              'a\\.b', '9', 'partner.test', 'joe+x', 'x.' + RELAYDOM, 'b.a.example']
JUNK_OPS = ['@', '%', '!', ':', ';', ',', '<', '>', '.', '..', '@@', '<>', '[', ']', ' ', ':;', '::', '+', '"',
            '#', '\\', '(', ')', '^', '/', '|', '=', '\t', '  ', '\\!']


def soup(rng, lo=0, hi=12, chars=SOUP_CHARS):
    out = []
    for _ in range(rng.randint(lo, hi)):
        r = rng.random()
        out.append(rng.choice(UTF8_BITS) if r < 0.04 else rng.choice(RAW_8BIT) if r < 0.06 else rng.choice(chars))
    return ''.join(out)


# `.D` values and ruleset inputs: sendmail -bt reads `$x` in them as macro references or metasymbols (and refuses
# `$=`), which is outside the contract: no `$` there (map values keep it).
MACRO_SOUP_CHARS = SOUP_CHARS.replace('$', '')


def bt_input(text):
    """A ruleset input the recorder can attribute: sendmail -bt echoes a refused input at the start of its complaint
    (`>x... Unbalanced '>'`), and an echo starting with `> ` would read as another prompt."""
    text = text.strip()
    while text.startswith('>'):
        text = text[1:].lstrip()
    return text or 'x'


def junk_address(rng):
    """An address-like string built from address pieces and operators (`!`/`%` paths, groups, routes, nested
    `@`, literals, quotes, `<>`, empty parts)."""
    r = rng.random()
    if r < 0.15:
        return soup(rng, 1, 14, MACRO_SOUP_CHARS)
    if r < 0.17:
        return soup(rng, 1, 6, MACRO_SOUP_CHARS) + rng.choice(INPUT_8BIT) + soup(rng, 0, 6, MACRO_SOUP_CHARS)
    parts = [rng.choice(JUNK_ATOMS) if rng.random() < 0.55 else rng.choice(JUNK_OPS)
             for _ in range(rng.randint(1, 8))]
    a = ''.join(parts)
    if rng.random() < 0.3:
        a = '<' + a + '>'
    if rng.random() < 0.04:
        a = 'x' * rng.randint(200, 300) + '@' + a
    return a.strip() or rng.choice(['x', '<>', '"', '@'])


def soup_value(rng):
    """A map value: keywords glued to soup."""
    words = ['VERIFY', 'ENCR', 'PERM', 'TEMP', 'CN', 'CS', 'CI', 'CITag', 'OK', 'NO', 'RELAY', 'REJECT',
             'DISCARD', 'SKIP', 'ERROR', 'QUARANTINE', 'SUBJECT', '128', ':', '+', '++', '<TMPF>', '?', '%1', '%0',
             '550', '4.7.1', '"', '(', ')', '\\']
    parts = [rng.choice(words) if rng.random() < 0.6 else soup(rng, 1, 6) for _ in range(rng.randint(1, 6))]
    v = ''.join(p if rng.random() < 0.7 else ' ' + p for p in parts).strip()
    if rng.random() < 0.03:
        v = rng.choice(words) + ':' + 'y' * rng.randint(60, 200)
    return v or 'x'


def soup_key(rng):
    k = soup(rng, 1, 8)
    return ''.join(ch for ch in k if ch not in ' \t#') or 'k'


def macro_soup(rng, choices):
    r = rng.random()
    if r < 0.1:
        return ''
    if r < 0.15:
        return rng.choice([' ', '  ', '\t', ' (c) ', '()'])
    if r < 0.55:
        return rng.choice(choices)
    if r < 0.58:
        return 'z' * rng.randint(60, 200)
    return soup(rng, 1, 12, MACRO_SOUP_CHARS)


CHAOS_NAMES = ['a.example', 'b.a.example', '[10.1.2.3]', 'x', 'IPv6:2001:db8::3', '10.1.2.3', '[IPv6:2001:db8::3]',
               'mx.partner.test', 'partner.test']


def chaos_map(rng, tags):
    m = []
    for tag in tags:
        for _ in range(rng.randint(0, 3)):
            r = rng.random()
            if r < 0.6:
                key = rng.choice(CHAOS_NAMES + ['1.2', 'example', 'u@', '', '/C=x', 'user@' + LOCAL, 'joe+*@',
                                                'other.net', RELAYDOM, 'h.uucp', 'a.b'])
            else:
                key = soup_key(rng)
            m.append('%s:%s\t%s' % (mixcase(rng, tag, 0.1), key, soup_value(rng)))
    if rng.random() < 0.3:
        m.append('%s\t%s' % (rng.choice(CHAOS_NAMES), soup_value(rng)))
    rng.shuffle(m)
    return dedupe(m)


CHAOS_MACROS = {
    'verify': ['OK', 'FAIL', 'TRUSTED', 'NONE', 'SOFTWARE', 'TEMP'],
    'cipher_bits': ['128', '56', '0x80', '0128', '-1'],
    'auth_ssf': ['128', '0', '256'],
    'client_name': CHAOS_NAMES, 'client_addr': CHAOS_NAMES, 'server_name': CHAOS_NAMES,
    'server_addr': CHAOS_NAMES, 'cn_subject': CHAOS_NAMES + ['/C=x'], 'cert_subject': ['/C=x', '/CN=a'],
    'cert_issuer': ['/C=x', '/CN=a'], 'auth_type': ['PLAIN', 'EXTERNAL'], 'auth_authen': ['alice', 'bob@x'],
    'auth_author': ['alice', '<bob@x>'], 'client_resolve': ['OK', 'FAIL', 'FORGED', 'TEMP'],
    'mail_from': ['<a@b.example>', '<>'], 'daemon_flags': ['u', 'f'],
}


def chaos_macros(rng, s, names):
    for name in rng.sample(names, rng.randint(1, min(5, len(names)))):
        s.append('.D{%s}%s' % (name, macro_soup(rng, CHAOS_MACROS[name])))


def gen_chaos_tls(rng):
    """TLS rulesets with soup in macros, map values and inputs."""
    m = chaos_map(rng, ['TLS_Clt', 'TLS_Srv', 'TLS_Rcpt', 'Try_TLS', 'Srv_Features', 'Clt_Features', 'CERTISSUER',
                        'CERTSUBJECT', 'MyCA'])
    s = []
    names = ['verify', 'cipher_bits', 'auth_ssf', 'client_name', 'client_addr', 'server_name', 'server_addr',
             'cn_subject', 'cert_subject', 'cert_issuer', 'auth_type', 'auth_authen', 'auth_author']
    for _ in range(rng.randint(12, 20)):
        chaos_macros(rng, s, names)
        rs = rng.choice(['tls_client', 'tls_client', 'tls_server', 'tls_rcpt', 'tls_rcpt', 'try_tls',
                         'srv_features', 'clt_features', 'RelayTLS', 'trust_auth'])
        if rs == 'tls_client':
            inp = rng.choice(['OK', 'FAIL', 'SOFTWARE', 'TRUSTED', soup(rng, 1, 5, MACRO_SOUP_CHARS)]) + ' $| ' + \
                rng.choice(['MAIL', 'STARTTLS', soup(rng, 0, 4, MACRO_SOUP_CHARS)])
        elif rs == 'tls_rcpt':
            inp = junk_address(rng)
        else:
            inp = rng.choice(['OK', 'x', 'FAIL', 'a@b.example', '<u@a.example>', 'alice', '<alice>',
                              soup(rng, 1, 8, MACRO_SOUP_CHARS)])
        s.append('%s %s' % (rs, bt_input(inp)))
    return ('default' if rng.random() < 0.85 else 'tls_perm_err'), m, s


def gen_chaos_addr(rng):
    """tls_rcpt, check_mail and check_rcpt on junk addresses."""
    variant = rng.choice(RCPT_VARIANTS)
    m = chaos_map(rng, ['TLS_Rcpt', 'To', 'From', 'Connect'])
    for _ in range(rng.randint(2, 6)):
        m.append('%s:%s\t%s' % (rng.choice(['TLS_Rcpt', 'To', 'From']), rng.choice(
            ['other.net', 'u@', 'x', 'a.b', 'user@' + LOCAL, 'h.uucp', '[10.1.2.3]', RELAYDOM, 'joe+*@', 'partner.test',
             'v', 'q u@', 'a"b@']), rng.choice(['VERIFY', 'ENCR:99', 'REJECT', 'RELAY', 'OK', 'ERROR:550 no',
                                               'DISCARD', 'VERIFY:1'])))
    m = dedupe(m)
    s = ['.C{w}%s' % LOCAL]
    if rng.random() < 0.5:
        s.append('.C{R}%s' % RELAYDOM)
    for _ in range(rng.randint(15, 25)):
        if rng.random() < 0.3:
            s.append('.D{verify}%s' % rng.choice(['FAIL', 'OK', 'NONE', '']))
        if rng.random() < 0.2:
            s.append('.D{client_addr}%s' % rng.choice(['10.1.2.3', '198.51.100.7', '']))
            s.append('.D{client_name}%s' % rng.choice(['a.example', 'mx.partner.test', '']))
        rs = rng.choice(['tls_rcpt', 'tls_rcpt', 'check_mail', 'check_rcpt', 'check_rcpt'])
        s.append('%s %s' % (rs, bt_input(junk_address(rng))))
    return variant, m, s


def gen_chaos_relay(rng):
    """check_relay, check_mail and check_rcpt with soup in macros, map values and inputs."""
    variant = rng.choice(RCPT_VARIANTS)
    m = chaos_map(rng, ['Connect', 'From', 'To', 'Spam', 'TLS_Clt', 'CERTISSUER'])
    s = ['.C{w}%s' % LOCAL]
    if rng.random() < 0.5:
        s.append('.C{R}%s' % RELAYDOM)
    if rng.random() < 0.3:
        s.append('.C{TrustAuthMech}PLAIN')
    names = ['verify', 'cipher_bits', 'client_name', 'client_addr', 'client_resolve', 'auth_type', 'cert_issuer',
             'cert_subject', 'mail_from', 'daemon_flags']
    for _ in range(rng.randint(12, 20)):
        chaos_macros(rng, s, names)
        rs = rng.choice(['check_relay', 'check_mail', 'check_rcpt'])
        if rs == 'check_relay':
            inp = '%s $| %s' % (macro_soup(rng, CHAOS_NAMES), macro_soup(rng, CHAOS_NAMES))
        else:
            inp = junk_address(rng) if rng.random() < 0.5 else soup(rng, 1, 10, MACRO_SOUP_CHARS)
        s.append('%s %s' % (rs, bt_input(inp)))
    return variant, m, s


# ------------------------------------------------------------------------------------------------ tempfail
TMPF_NAMES = ['a.tmpf.example', 'mx.tmpf.example', 'mx.example.com', 'a.b.example.com', 'secure.example',
              'x.secure.example', 'q.example', 'other.test', '[192.0.2.1]', '[10.1.2.3]', 'host', '']
TMPF_ADDRS = ['10.9.1.1', '192.0.2.1', '10.1.2.3', '10.1.9.9', 'IPv6:2001:db8:0:0:0:0:0:1', '198.51.100.7', '']


def gen_tempfail(rng):
    """Every ruleset against a socketmap access map that fails temporarily for keys containing `tmpf` and for
    entries valued `TMPF` (variant tempfail: oracle.py serves the map; the engine runs with --tempfail-marker)."""
    m = []
    keys = ['example.com', 'secure.example', 'tmpf.example', 'mx.example.com', '10.1', '10.1.2.3', '192.0.2.1',
            'IPv6:2001:db8', 'other.test', '[10.1.2]', 'q.example', 'host']
    for tag in ['TLS_Clt', 'TLS_Srv', 'Try_TLS', 'Srv_Features', 'Clt_Features', 'Connect', 'From', 'To']:
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(keys)
            if tag in ('TLS_Clt', 'TLS_Srv'):
                val = rng.choice(['TMPF', 'VERIFY', 'ENCR:128', 'VERIFY:112+CN'])
            elif tag == 'Try_TLS':
                val = rng.choice(['TMPF', 'NO'])
            elif tag in ('Srv_Features', 'Clt_Features'):
                val = rng.choice(['TMPF', 'V', 'S A'])
            elif tag == 'To':
                val = rng.choice(['TMPF', 'RELAY', 'REJECT'])
            else:
                val = rng.choice(['TMPF', 'OK', 'RELAY', 'REJECT', 'DISCARD', 'ERROR:550 no'])
            m.append('%s:%s\t%s' % (tag, key, val))
    for k in ['u@', 'leia@base.rebels.org', 'rebels.org', 'tmpf.example', 'example.com']:
        if rng.random() < 0.4:
            m.append('TLS_Rcpt:%s\t%s' % (k, rng.choice(['TMPF', 'VERIFY', 'ENCR:256'])))
    for dn in ['/CN=tmpf', '/C=US/O=Example+20CA/CN=Root', '/CN=a.b']:
        if rng.random() < 0.5:
            m.append('CERTISSUER:%s\t%s' % (dn, rng.choice(['RELAY', 'SUBJECT', 'TMPF'])))
        if rng.random() < 0.3:
            m.append('CERTSUBJECT:%s\t%s' % (dn, rng.choice(['RELAY', 'TMPF'])))
    for tag in ['TLS_Clt', 'TLS_Srv', 'Try_TLS', 'Srv_Features', 'Clt_Features', 'TLS_Rcpt']:
        if rng.random() < 0.25:
            m.append('%s:\t%s' % (tag, rng.choice(['TMPF', 'VERIFY', 'NO', 'V'])))
    rng.shuffle(m)
    m = dedupe(m)
    s = ['.C{w}%s' % LOCAL]
    if rng.random() < 0.5:
        s.append('.C{R}%s' % RELAYDOM)
    for _ in range(rng.randint(14, 22)):
        for who in ['client', 'server']:
            if rng.random() < 0.5:
                s.append('.D{%s_name}%s' % (who, rng.choice(TMPF_NAMES)))
            if rng.random() < 0.5:
                s.append('.D{%s_addr}%s' % (who, rng.choice(TMPF_ADDRS)))
        if rng.random() < 0.4:
            s.append('.D{verify}%s' % rng.choice(['OK', 'FAIL', 'NONE', 'TRUSTED']))
        if rng.random() < 0.3:
            s.append('.D{cert_issuer}%s' % rng.choice(['/CN=tmpf', '/C=US/O=Example+20CA/CN=Root', '/CN=a.b']))
            s.append('.D{cert_subject}%s' % rng.choice(['/CN=tmpf', '/CN=a.b']))
        if rng.random() < 0.3:
            s.append('.D{client_resolve}%s' % rng.choice(['OK', 'FAIL', 'TEMP']))
        rs = rng.choice(['tls_client', 'tls_server', 'tls_rcpt', 'try_tls', 'srv_features', 'clt_features',
                         'RelayTLS', 'check_relay', 'check_mail', 'check_rcpt', 'check_rcpt'])
        if rs == 'tls_client':
            inp = '%s $| MAIL' % rng.choice(['OK', 'FAIL', 'NONE'])
        elif rs == 'tls_server':
            inp = rng.choice(['OK', 'FAIL', 'NONE'])
        elif rs in ('tls_rcpt', 'check_rcpt', 'check_mail'):
            inp = '<%s@%s>' % (rng.choice(['u', 'leia', 'tmpf', 'joe']), rng.choice(
                ['base.rebels.org', 'rebels.org', 'tmpf.example', 'example.com', LOCAL, 'other.test', RELAYDOM]))
        elif rs == 'check_relay':
            inp = '%s $| %s' % (rng.choice(TMPF_NAMES), rng.choice(TMPF_ADDRS[:-1]))
        else:
            inp = 'x'
        if rs == 'check_mail' or rs.startswith('check_relay'):
            pass
        s.append('%s %s' % (rs, inp))
    variant = 'tempfail' if rng.random() < 0.7 else 'tempfail_delay_checks'
    if variant == 'tempfail_delay_checks':
        s = [l for l in s if not l.startswith(('check_mail', 'check_relay'))]
    return variant, m, s


# ------------------------------------------------------------------------------------------------ edges
def gen_edges(rng):
    """Fixed input-syntax edge cases (address lists, `$|` spacing, blanks, tabs, undefined rulesets, long and
    8-bit inputs sendmail -bt refuses) around a small random map."""
    m = ['TLS_Clt:a.example\tVERIFY', 'TLS_Rcpt:b.example\tVERIFY', 'TLS_Rcpt:c.example\tENCR:128',
         'Connect:10.1.2.3\tREJECT', 'From:b.example\tREJECT', 'To:c.example\tRELAY']
    if rng.random() < 0.5:
        m.append('TLS_Rcpt:u@\t%s' % rng.choice(['VERIFY:56', 'ENCR:64']))
    s = ['.C{w}%s' % LOCAL, '.D{client_name}a.example', '.D{client_addr}10.1.2.3']
    long_addr = 'x' * rng.choice([200, 250, 252]) + '@b.example'
    lines = [
        'tls_client FAIL$|MAIL', 'tls_client FAIL $|MAIL', 'tls_client FAIL$| MAIL', 'tls_client  FAIL  $|  MAIL',
        'tls_client $|', 'tls_client FAIL $| MAIL, OK $| MAIL', 'tls_client OK $| MAIL, FAIL $| MAIL',
        '.D{verify}FAIL', 'tls_rcpt u@b.example, u@c.example', 'tls_rcpt u@c.example, u@b.example',
        'tls_rcpt u@c.example,', 'tls_rcpt ,u@c.example', 'tls_rcpt "a,b"@b.example', 'tls_rcpt a\\,b@b.example',
        'tls_rcpt\tu@b.example', 'Start,tls_rcpt u@c.example', 'tls_rcpt <u@b.example>,,',
        'check_relay x $| 10.1.2.3', 'check_relay x$|10.1.2.3', 'check_relay $| 10.1.2.3',
        'check_relay x, y $| 10.1.2.3', 'check_rcpt <a@b.example>, <c@d.example>', 'check_rcpt <a@c.example>,',
        'check_mail <a@b.example>, <a@d.example>', 'check_mail <a@d.example>, <a@b.example>',
        'tls_rcpt ' + long_addr, 'tls_rcpt ' + long_addr + 'xxxxxxxxxxxx', 'check_rcpt ' + long_addr + 'y' * 10,
        'tls_rcpt u\u00e2\u0082\u00ac@c.example', 'check_rcpt \u00c3\u009f@c.example',
        'tls_rcpt u\u00c3\u00a9@c.example', 'no_such_ruleset word', 'no_such_ruleset <a@b.example>',
        'Start,bogus Yes', 'tls_rcpt \\!', 'check_mail !', 'check_rcpt <@>', 'check_rcpt ::::<>',
        'check_rcpt <>', 'tls_rcpt <>', 'check_mail <>', 'tls_rcpt a\\!b@c.example',
        'tls_rcpt u@b.example\\,u@c.example', 'tls_rcpt x\\"y,u@c.example', 'tls_rcpt "x\\"y,u@c.example',
    ]
    rng.shuffle(lines)
    s += lines[:rng.randint(20, len(lines))]
    variant = rng.choice(['default', 'default', 'delay_checks'])
    return variant, m, s


# ------------------------------------------------------------------------------------------------ quirks
QUIRK_ADDRESSES = [
    # quoted local parts that dequote to nothing but a comment: sendmail abandons Parse0 / ParseRecipient there
    '"(x)"', '"()"', '<"(x)">', '"(x)"@other.net', '"(x)"@' + LOCAL, '"(x)"@' + RELAYDOM, '"(x)"@nowhere.example',
    '"(x)"@full.example', '"(x)"@blocked.example', '"(a%b)"', '"(a%b)"@' + LOCAL, '"(x)"%other.net',
    '"(x)y"', '"(x)y"@' + LOCAL, '"y(x)"@nowhere.example', '""', '""@' + LOCAL,
    # the dequote map: comments keep their quotes and angle brackets, a `)` or `>` closing nothing spoils it
    '<"(<h+)>', '"(<h+)>', '<"(<h+)>@' + LOCAL, '<"(<h+)@' + LOCAL + '>', '"(<)"', '"(>)"', '"<(x)>"', '">(x)<"',
    '"a)(b"', '"(a\\"b)"', '"\\(x)"', '"a\\(b"', '"(a\\)b)"', '"a%b(c)"', '"a b"', '"a(b)c"@other.net',
    # `< @ @ host >` is sendmail's own address-literal mark
    'u@@other.net', '<@@other.net:u@x>', '@!other.net', '@!' + LOCAL, '@!u@other.net', '@!u', '@!]a',
    '@!]"u@v"a.bx.' + RELAYDOM + ':', 'u@@[10.1.2.3]', 'u@@@other.net',
    # `%` hacks that unwrap, once the domain relays, to an address the initial parse refuses
    'u%@other.net', 'u%%other.net', 'u!@other.net', 'u@%other.net',
]


def gen_quirks(rng):
    """Fixed addresses on which the engine once differed from sendmail (found by the live oracle test), through
    tls_rcpt, check_mail and check_rcpt, in a random relay variant."""
    variant = rng.choice(RCPT_VARIANTS)
    m = ['To:other.net\tRELAY', 'TLS_Rcpt:other.net\tVERIFY', 'From:bad.example\tREJECT',
         'To:blocked.example\tREJECT', 'To:"(x)"@full.example\tRELAY', 'From:"(x)"@other.net\tREJECT',
         'To:u@\tREJECT']
    if variant.startswith('delay_checks_'):
        m.append('Spam:%s\t%s' % (LOCAL, 'FRIEND' if variant.endswith('friend') else 'HATER'))
    s = ['.C{w}%s' % LOCAL, '.C{w}[10.1.2.3]', '.D{verify}OK', '.D{client_addr}198.51.100.7', '.D{client_name}']
    if rng.random() < 0.5:
        s.append('.C{R}%s' % RELAYDOM)
    # A sender check that fails under delay_checks would name this host (`<@ $j>`) after some of these addresses.
    s.append('.D{mail_from}<ok@sender.example>')
    lines = []
    for a in QUIRK_ADDRESSES:
        rs = rng.choice(['check_rcpt', 'check_rcpt', 'tls_rcpt', 'check_mail'])
        if rs == 'check_mail' and variant.startswith(('delay_checks', 'blocklist_delay_checks')):
            rs = 'check_rcpt'
        lines.append('%s %s' % (rs, a))
    rng.shuffle(lines)
    s += lines
    # Map values sendmail cannot use (only a comment, a stray `)`): the search routine stops at that key; a quoted
    # value with an escaped quote; `.D` values ending in an escaped blank.
    m += ['Connect:c.example\t(c)', 'Connect:10.1.2.9\t(c)', 'From:u@sender.example\t(c)',
          'From:unusable.example\t(c)', 'Clt_Features:a.b\t)', 'Srv_Features:\t(c)', 'CERTISSUER:/CN=ca\t(c)',
          'Clt_Features:q.b\tNOyb"y 5y\\" NO,8']
    delayed = variant.startswith(('delay_checks', 'blocklist_delay_checks'))
    tail = ['.D{client_name}a.b', 'clt_features x', 'srv_features x', '.D{client_name}q.b', 'clt_features x',
            '.D{cert_issuer}/CN=ca', 'RelayTLS x', '.D{auth_type}PLAIN', '.D{auth_authen}x', '.D{auth_author}*b7\\ ',
            'trust_auth <alice>', '.D{auth_author}\\ ', 'trust_auth <alice>', '.D{auth_author}b\\ c\\ ',
            'trust_auth <alice>']
    # `>` inside values: check_mail and Rcpt_ok read the value up to it, check_relay reads all of it.
    m += ['Connect:gt.example\tERROR:550 see <x@y> first', 'Connect:gt2.example\tREJECT > x',
          'Connect:gt3.example\tQUARANTINE:held <here> now', 'From:gt.example\tERROR:550 see <x@y> first',
          'From:gt2.example\tREJECT > x', 'To:gt.example\tERROR:550 see <x@y> first', 'To:gt2.example\tDISCARD > x',
          'To:gt3.example\ta<b']
    tail += ['check_rcpt <u@gt.example>', 'check_rcpt <u@gt2.example>', 'check_rcpt <u@gt3.example>',
             'tls_rcpt a:<@', 'check_rcpt a:<@', 'check_rcpt =foo.UUCP:<@']
    # A trailing backslash escapes the `>` that closes an open `<` (one more `>` closes it).
    m += ['Clt_Features:bs.example\tx<<y\\']
    tail += ['tls_rcpt [1.2]<@ \\', 'check_rcpt [1.2]<@ \\', '.D{client_name}bs.example', 'clt_features x',
             '.D{auth_author}x<y\\', 'trust_auth <alice>']
    if not delayed:
        tail += ['check_relay c.example $| 10.1.2.4', 'check_relay z.example $| 10.1.2.9',
                 'check_mail <u@sender.example>', 'check_mail <x@unusable.example>',
                 'check_relay gt.example $| 10.1.1.1', 'check_relay gt2.example $| 10.1.1.1',
                 'check_relay gt3.example $| 10.1.1.1', 'check_mail <u@gt.example>', 'check_mail <u@gt2.example>',
                 'check_relay gt4.example $| 10.1.1.1', 'check_relay gt5.example $| 10.1.1.1']
        # check_relay reads `<value> <address>` with `<$+> <$*>`: the value ends at its first `> <`.
        m += ['Connect:gt4.example\t? TEMP<TMPF><#&4y', 'Connect:gt5.example\tx > < y']
    else:
        # A `{verify}` that cannot be expanded stops Delay_TLS_Clt (check_rcpt returns the bare mailer) and
        # Basic_check_mail (check_rcpt goes on to checkrelay).
        tail += ['.C{TrustAuthMech}PLAIN', '.D{verify} (c) ', '.D{client_addr}10.1.2.3', 'check_rcpt =',
                 'check_rcpt <u@remote.example>', '.D{auth_type}', '.D{client_name}gt.example',
                 '.D{client_addr}10.9.9.9', 'check_rcpt "u@v"=@@[IPv6:2001:db8::1]<>']
    s += tail
    # -bt reads its input as an address list, but a comma inside a route address (`<` then `@`, up to the next `>`)
    # does not split it; any other `<` does not protect a comma.
    m += ['TLS_Rcpt:a.example\tVERIFY']
    s += ['.D{verify}FAIL', 'tls_rcpt <@, a>', 'tls_rcpt <@x, u@a.example>', 'tls_rcpt <	@x, u@a.example>',
          'tls_rcpt <(c)@a, u@a.example>', 'tls_rcpt <@x>, u@a.example', 'tls_rcpt <@x <y>, u@a.example>',
          'tls_rcpt <@x ">", u@a.example>', 'tls_rcpt <u@a.example, v@b.example>', 'check_rcpt <@, >']
    # Relay_ok answers `{client_resolve}` TEMP before it expands `{client_name}` (blank: it cannot be expanded).
    s += ['.D{client_addr}192.0.2.99', '.D{client_resolve}TEMP', '.D{client_name} ', 'check_rcpt <u@remote.example>',
          '.D{client_resolve}FORGED', 'check_rcpt <u@remote.example>']
    # A `.D` value that ends inside an open quote loses its trailing white space, escaped or not.
    s += ['.D{auth_authen}alice', '.D{auth_type}PLAIN', '.D{auth_author}z";0+\t', 'trust_auth a@b.example',
          '.D{auth_author}"a\\\t', 'trust_auth a@b.example', '.D{auth_author}"a b \t ', 'trust_auth a@b.example',
          '.D{auth_author}"a\tb"', 'trust_auth a@b.example']
    return variant, m, s


# ---------------------------------------------------------------------------------------------- unusable
def gen_unusable(rng):
    """Map values sendmail cannot use (only a comment, an unclosed or stray parenthesis) where the key the search
    stopped at reads as a value: tls_rcpt's SearchList, check_mail with tagged and untagged entries, Rcpt_ok's
    To: domain search and ParseRecipient's relay check of a `%`/`!` address; in a random relay variant.
    Under relaytofulladdress and the blocklist variants, Rcpt_ok's SearchList items would carry the `>` of
    ParseRecipient's leftover workspace (SearchList then splits an item at it: FINDINGS 34, not modelled), so the
    `%`/`!` addresses are left out there."""
    variant = rng.choice(RCPT_VARIANTS + ['blocklist_recipients', 'blocklist_delay_checks'] * 2)
    m = ['TLS_Rcpt:verify\t(c)', 'TLS_Rcpt:encr\t)', 'TLS_Rcpt:verify@\t(c)', 'TLS_Rcpt:perm+verify\t(x',
         'TLS_Rcpt:encr@x.test\t)', 'To:relay\t(x', 'To:other\t)', 'To:ok.relay\t(c)', 'To:x.example\tRELAY',
         'To:No\tRELAY', 'deny\t(c)', 'un.example\t(c)', 'reject\t(c)', 'discard\t)', 'error@\t(c)', 'ok\t(c)',
         'From:y.example\tREJECT', 'To:u@\tREJECT', 'From:sender.example\t(c)',
         # F and U stopped at a `+*` or detail-less try keep the whole `user+detail@…` key.
         'From:pu@\t(x', 'From:pv+*@\t(c)', 'From:pw@x.example\t)', 'To:pb@\t(c)', 'To:pc+*@x.example\t(c)',
         'reject@\t(c)']
    s = ['.C{w}%s' % LOCAL, '.D{client_addr}192.0.2.9', '.D{client_name}relay.example',
         '.D{mail_from}<ok@sender.example>', '.D{verify}%s' % rng.choice(['FAIL', 'OK', 'NONE'])]
    delayed = variant.startswith(('delay_checks', 'blocklist_delay_checks'))
    lines = ['tls_rcpt <a@verify>', 'tls_rcpt <a@encr>', 'tls_rcpt <verify@y.test>', 'tls_rcpt <encr@x.test>',
             'tls_rcpt <a@sub.verify>', 'tls_rcpt <a@perm+verify>', 'tls_rcpt <verify+x@y.test>',
             'tls_rcpt <verify+@y.test>']
    rcpts = ['a@sub.relay', 'a@ok.relay', 'u%x.example@relay', 'u%x.example@sub.relay', 'u%y.example@relay',
             'u%x.example@other', 'v!x.example@other', 'u%x.example@deny', 'u%no@other', 'u%x.example%z@relay',
             'a@reject', 'a@discard', 'error@x.example', 'pb+d@x.example', 'pc+d@x.example', 'reject+d@x.example']
    if variant in ('relaytofulladdress', 'blocklist_recipients', 'blocklist_delay_checks'):
        rcpts = [a for a in rcpts if '%' not in a and '!' not in a]
    lines += ['check_rcpt <%s>' % a for a in rng.sample(rcpts, min(9, len(rcpts)))]
    if not delayed:
        lines += ['check_mail <%s>' % a for a in ['a@un.example', 'a@reject', 'a@sub.discard', 'error@x.example',
                                                   'a@ok', 'b@sender.example', 'pu+d@a.example', 'pv+d@a.example',
                                                   'pw+d@x.example', 'reject+d@a.example']]
    rng.shuffle(lines)
    return variant, m, s + lines


SUITES = {
    'tls_client': gen_tls_client,
    'tls_server': gen_tls_server,
    'tls_rcpt': gen_tls_rcpt,
    'tls_misc': gen_tls_misc,
    'check_relay': gen_check_relay,
    'check_mail': gen_check_mail,
    'check_rcpt': gen_check_rcpt,
    'chaos_tls': gen_chaos_tls,
    'chaos_addr': gen_chaos_addr,
    'chaos_relay': gen_chaos_relay,
    'tempfail': gen_tempfail,
    'edges': gen_edges,
    'quirks': gen_quirks,
    'unusable': gen_unusable,
}


def render(suite, seed, k, variant, m, s):
    from oracle import variant_mc_lines
    out = ['# generated by scripts/oracle/gen.py --suite %s --seed %d (case %d); expectations from sendmail -bt'
           % (suite, seed, k),
           'case: %s-%d-%03d' % (suite, seed, k),
           'variant: %s' % variant]
    for line in variant_mc_lines(variant):
        out.append('mc: %s' % line)
    if variant.startswith('tempfail'):
        out.append('tempfail-marker: tmpf')
    out.append('== map')
    out.extend(m)
    out.append('== script')
    out.extend(s)
    return '\n'.join(out) + '\n'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--suite', required=True)
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--count', type=int, required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--scale', type=int, default=1, help='relay suites: N times more addresses per case')
    a = ap.parse_args()
    global SCALE
    SCALE = a.scale
    suites = sorted(SUITES) if a.suite == 'all' else a.suite.split(',')
    for suite in suites:
        d = os.path.join(a.out, suite)
        os.makedirs(d, exist_ok=True)
        for k in range(a.count):
            rng = random.Random('%s:%d:%d' % (suite, a.seed, k))
            variant, m, s = SUITES[suite](rng)
            path = os.path.join(d, '%s-%d-%03d.txt' % (suite, a.seed, k))
            with open(path, 'w', encoding='latin-1') as f:
                f.write(render(suite, a.seed, k, variant, m, s))


if __name__ == '__main__':
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
