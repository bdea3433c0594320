#!/bin/sh
# Regenerates the test-only TLS material in this folder. Run once; the files are committed.
# ECDSA P-256: handshakes stay cheap even with BoringSSL built -O0 in debug test builds.
# Never trust these anywhere: the private keys are public (they are in this repository).
set -eu
cd "$(dirname "$0")"
DAYS=36500
SAN="subjectAltName=IP:127.0.0.1,DNS:localhost"
# Test CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days $DAYS -sha256 \
  -subj "/CN=tokentop TEST CA (never trust)" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
# Server certificate for 127.0.0.1 and localhost, signed by the test CA.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
printf '%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$SAN" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days $DAYS -sha256 -extfile server.ext
# A self-signed certificate for the same names: what "certificate not trusted" looks like.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout selfsigned.key -out selfsigned.pem -days $DAYS -sha256 \
  -subj "/CN=127.0.0.1" -addext "$SAN" -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth"
rm -f server.csr server.ext ca.srl
