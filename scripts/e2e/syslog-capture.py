#!/usr/bin/env python3
"""Listens on a Unix datagram socket (default /dev/log) and appends every message to a file, for reading
sendmail's and Postfix's log lines in tests on machines without a syslog daemon.
usage: syslog-capture.py OUTFILE [SOCKET] [SECONDS]   (stops by itself after SECONDS, default 600)"""
import os, socket, sys, time
out_path = sys.argv[1]
sock_path = sys.argv[2] if len(sys.argv) > 2 else '/dev/log'
deadline = time.time() + (float(sys.argv[3]) if len(sys.argv) > 3 else 600)
if os.path.exists(sock_path):
    os.unlink(sock_path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
os.chmod(sock_path, 0o666)
s.settimeout(1)
with open(out_path, 'a', buffering=1) as out:
    while time.time() < deadline:
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        out.write(data.decode('utf-8', 'replace').rstrip('\x00') + '\n')
os.unlink(sock_path)
