#!/usr/bin/env bash
# gen-x509-seeds.sh - (re)write the seed corpora of csr_fuzz and
# cert_chain_fuzz with the openssl command line:
#
#   tests/fuzz/gen-x509-seeds.sh [tests/fuzz/corpus]
#
# CSRs: RSA 2048 and 4096, EC P-256/P-384/P-521, with and without
# subjectAltName, an empty subject with a SAN, an empty subject without one
# (refused by x509_csr_check), a curve the service refuses, a broken
# signature, an RSA-PSS signature, a compressed point, explicit curve
# parameters, BER; as PEM, DER and the old "NEW CERTIFICATE REQUEST" label.
# Certificates and chains: a root, an intermediate and a leaf as PEM and
# DER, chains of one to three, PEM with explanatory text before it, and a
# few malformed ones. Keys are fresh on every run; the files are committed.
set -euo pipefail
out=${1:-$(cd "$(dirname "$0")" && pwd)/corpus}
csr=$out/csr
chain=$out/cert_chain
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$csr" "$chain"
rm -f "$csr"/* "$chain"/*
cd "$tmp"

key() { # key NAME ALG-ARGS...
	local name=$1
	shift
	openssl genpkey -quiet "$@" -out "$name.key" 2>/dev/null ||
		openssl genpkey "$@" -out "$name.key" 2>/dev/null
}

key rsa2048 -algorithm RSA -pkeyopt rsa_keygen_bits:2048
key rsa4096 -algorithm RSA -pkeyopt rsa_keygen_bits:4096
key p256 -algorithm EC -pkeyopt ec_paramgen_curve:P-256
key p384 -algorithm EC -pkeyopt ec_paramgen_curve:P-384
key p521 -algorithm EC -pkeyopt ec_paramgen_curve:P-521
key k256 -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1
key ed25519 -algorithm ED25519

req() { # req OUT KEY SUBJ [extra openssl req args...]
	local o=$1 k=$2 s=$3
	shift 3
	openssl req -new -key "$k.key" -subj "$s" -out "$o" "$@"
}

# ---- CSRs
req "$csr/rsa2048.pem" rsa2048 "/C=US/O=Example/CN=rsa2048.example.com"
req "$csr/rsa4096-san.pem" rsa4096 "/CN=rsa4096.example.com" \
	-addext "subjectAltName=DNS:rsa4096.example.com,DNS:*.example.com,IP:192.0.2.1"
req "$csr/p256-san.der" p256 "/CN=p256.example.com/OU=Unit+OU=Other" -outform DER \
	-addext "subjectAltName=DNS:p256.example.com,email:a@example.com,URI:https://example.com/x"
req "$csr/p384.pem" p384 "/CN=p384.example.com/serialNumber=42" -sha384
req "$csr/p521.der" p521 "/CN=p521" -outform DER -sha512
req "$csr/empty-subject-san.pem" p256 "/" \
	-addext "subjectAltName=DNS:nosubject.example.com,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:upn@example.com"
req "$csr/empty-subject-no-san.pem" p256 "/"
req "$csr/secp256k1.pem" k256 "/CN=k256"
req "$csr/ed25519.pem" ed25519 "/CN=ed25519"
req "$csr/utf8-subject.pem" p256 $'/CN=caf\xc3\xa9 \xe2\x9c\x93/O=Ex\\,ample' -utf8
req "$csr/extensions.pem" rsa2048 "/CN=ext" \
	-addext "keyUsage=critical,digitalSignature,keyEncipherment" \
	-addext "extendedKeyUsage=serverAuth,clientAuth" \
	-addext "basicConstraints=critical,CA:FALSE" \
	-addext "subjectAltName=DNS:a.example.com,dirName:dir_sect" \
	-config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[dir_sect]\nCN=dir\n')
# the old label
sed 's/CERTIFICATE REQUEST/NEW CERTIFICATE REQUEST/' "$csr/p384.pem" > "$csr/old-label.pem"
# explanatory text before the block (allowed), data after it (refused)
{ echo "Subject: p256"; cat "$csr/rsa2048.pem"; } > "$csr/text-before.pem"
{ cat "$csr/rsa2048.pem"; echo "trailing"; } > "$csr/text-after.pem"
# a broken signature: flip a byte near the end of the DER
openssl req -in "$csr/rsa2048.pem" -outform DER -out bad.der
python3 - bad.der "$csr/bad-signature.der" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[-5] ^= 0x55
open(sys.argv[2], 'wb').write(b)
EOF
head -c 200 "$csr/p521.der" > "$csr/truncated.der"
# an RSA-PSS signature (rsaEncryption key); a compressed point; a P-256
# key spelled with explicit curve parameters (refused: namedCurve only)
req "$csr/rsa-pss-signature.pem" rsa2048 "/CN=pss.example.com" \
	-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32
openssl ec -in p256.key -conv_form compressed -out p256c.key 2>/dev/null
req "$csr/p256-compressed.pem" p256c "/CN=compressed.example.com"
openssl ec -in p256.key -param_enc explicit -out p256x.key 2>/dev/null
req "$csr/p256-explicit.pem" p256x "/CN=explicit.example.com"
# BER: the outer SEQUENCE with an indefinite length (x509_csr_load refuses
# it, x509_csr_parse takes it)
openssl req -in "$csr/p256-compressed.pem" -outform DER -out c.der
python3 - c.der "$csr/ber-indefinite.der" <<'EOF'
import sys
b = open(sys.argv[1], 'rb').read()
skip = {0x81: 3, 0x82: 4}.get(b[1], 2)
open(sys.argv[2], 'wb').write(bytes([0x30, 0x80]) + b[skip:] + b'\x00\x00')
EOF

# ---- certificates and chains
cat > ca.cnf <<'EOF'
[root]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[inter]
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
crlDistributionPoints=URI:http://crl.example.com/root.crl
authorityInfoAccess=OCSP;URI:http://ocsp.example.com,caIssuers;URI:http://example.com/root.cer
[leaf]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:leaf.example.com,IP:2001:db8::1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
certificatePolicies=2.5.29.32.0
EOF
openssl req -new -x509 -key p384.key -subj "/CN=Fuzz Root" -days 36500 -sha384 \
	-extensions root -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat ca.cnf) \
	-set_serial 0x0102030405060708 -out root.pem
openssl req -new -key rsa2048.key -subj "/CN=Fuzz Intermediate/O=Example" -out inter.csr
openssl x509 -req -in inter.csr -CA root.pem -CAkey p384.key -days 3650 -sha384 \
	-extfile ca.cnf -extensions inter -set_serial 0x1a2b3c4d5e6f7081 -out inter.pem 2>/dev/null
openssl req -new -key p256.key -subj "/CN=leaf.example.com" -out leaf.csr
openssl x509 -req -in leaf.csr -CA inter.pem -CAkey rsa2048.key -days 365 -sha256 \
	-extfile ca.cnf -extensions leaf -set_serial 0x7f00000000000001 -out leaf.pem 2>/dev/null

cp root.pem "$chain/root.pem"
openssl x509 -in inter.pem -outform DER -out "$chain/inter.der"
openssl x509 -in leaf.pem -outform DER -out "$chain/leaf.der"
cat leaf.pem inter.pem root.pem > "$chain/chain-3.pem"
cat inter.pem root.pem > "$chain/chain-2.pem"
# blank lines and CRLF between blocks (allowed)
{ cat leaf.pem; printf '\r\n\n'; cat inter.pem; } | sed 's/$/\r/' > "$chain/chain-crlf.pem"
# what `openssl x509 -text` prints before the block (refused in a chain)
openssl x509 -in leaf.pem -text > "$chain/leaf-text.pem"
# a certificate then a CSR (refused in a chain)
cat leaf.pem "$csr/rsa2048.pem" > "$chain/cert-then-csr.pem"
# a PEM block with headers (encrypted-style, refused)
sed '1a Proc-Type: 4,ENCRYPTED' root.pem > "$chain/headers.pem"
head -c 300 "$chain/leaf.der" > "$chain/truncated.der"
{ cat "$chain/inter.der"; printf '\0'; } > "$chain/trailing-byte.der"
# an old v1 certificate without extensions; one valid past 2050
# (GeneralizedTime notAfter)
openssl x509 -req -in leaf.csr -signkey p256.key -days 1 -out "$chain/v1.pem" 2>/dev/null
openssl req -new -x509 -key p256.key -subj "/CN=long" -days 36500 -sha256 \
	-config <(printf '[req]\ndistinguished_name=dn\n[dn]\n') -out "$chain/past-2050.pem"

echo "csr: $(ls "$csr" | wc -l) files, $(du -sb "$csr" | cut -f1) bytes"
echo "cert_chain: $(ls "$chain" | wc -l) files, $(du -sb "$chain" | cut -f1) bytes"
