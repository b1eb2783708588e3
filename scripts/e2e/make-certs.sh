#!/usr/bin/env bash
# Test PKI for the end-to-end tests: make-certs.sh DIR
#   ca.pem/ca.key         private CA  "/C=US/O=AccessPolicy Test CA/CN=Test Root"
#   server.pem/server.key server certificate for localhost, signed by the CA
#   client.pem/client.key client certificate "/C=US/O=AccessPolicy Test/CN=client.test", signed by the CA
#   forged.pem/forged.key self-signed certificate whose subject (and so issuer) is the CA's DN: same issuer DN
#                         as a CA-signed certificate, but it does not verify
# plus the OpenSSL hash links sendmail's CACertPath needs.
set -eu
dir="$1"
mkdir -p "$dir"
cd "$dir"
ca_dn="/C=US/O=AccessPolicy Test CA/CN=Test Root"
days=30
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days $days -subj "$ca_dn" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
sign() {  # name subject extensions
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days $days \
    -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
sign server "/C=US/O=AccessPolicy Test/CN=localhost" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
sign client "/C=US/O=AccessPolicy Test/CN=client.test" "extendedKeyUsage=clientAuth"
openssl req -x509 -newkey rsa:2048 -nodes -keyout forged.key -out forged.pem -days $days -subj "$ca_dn" 2>/dev/null
chmod 600 ./*.key
chmod 644 ./*.pem
ln -sf ca.pem "$(openssl x509 -hash -noout -in ca.pem).0"
