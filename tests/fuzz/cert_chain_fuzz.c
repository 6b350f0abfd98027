/*
 * cert_chain_fuzz.c - client certificates and chains
 * (ImportCertificateAuthorityCertificate): common/x509util.h
 * x509_cert_parse (one PEM or DER certificate) and x509_chain_parse (PEM
 * certificates only), each on the whole input, then what the frontend does
 * with a parsed certificate: validity, serial, names, DER/PEM, and
 * x509_verify_chain over the parsed chain.
 *
 * Invariants: a parsed certificate re-encodes, its PEM parses back, and its
 * serial hex parses with x509_serial_parse; x509_chain_parse gives at least
 * one certificate.
 *
 * Seeds: tests/fuzz/corpus/cert_chain/, made by tests/fuzz/gen-x509-seeds.sh.
 */
#include "fuzz_util.h"
#include "x509util.h"

#include <openssl/err.h>

static void
check_cert(X509 *x)
{
	uint8_t *der = NULL, serial[X509_SERIAL_MAX];
	size_t len = 0, slen = 0;
	char hex[X509_SERIAL_HEX_MAX], *pem = NULL, *s;
	int64_t nb, na;
	X509 *again = NULL;

	if (x509_cert_validity(x, &nb, &na) != 0)
		nb = na = 0;
	if (x509_cert_serial_hex(x, hex) == 0)
		FUZZ_ASSERT(x509_serial_parse(hex, serial, &slen) == 0 && slen > 0);
	free(x509_name_oneline(X509_get_subject_name(x)));
	s = x509_name_oneline(X509_get_issuer_name(x));
	free(s);
	if (x509_cert_to_der(x, &der, &len) == 0) {
		if (x509_cert_der_to_pem(der, len, &pem) == 0) {
			FUZZ_ASSERT(x509_cert_parse((const uint8_t *)pem, strlen(pem), &again) == 0);
			X509_free(again);
		}
		free(pem);
	}
	free(der);
	ERR_clear_error();
}

/* A refusal by verification always says why. */
static void
verify(X509 *leaf, STACK_OF(X509) *chain, X509 *anchor, int64_t t)
{
	char why[256];

	if (x509_verify_chain(leaf, chain, anchor, t, why, sizeof(why)) == PCA_ERR_BAD_SIGNATURE)
		FUZZ_ASSERT(why[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	STACK_OF(X509) *sk = NULL, *mid = NULL;
	X509 *x = NULL, *leaf, *anchor;
	int64_t nb = 0, na = 0;
	int n;

	if (!ready) {
		fuzz_logs("cert_chain_fuzz");
		ready = 1;
	}
	if (x509_cert_parse(data, size, &x) == 0) {
		FUZZ_ASSERT(x != NULL);
		check_cert(x);
		/* a root's import: it verifies as its own anchor, inside its validity */
		if (x509_cert_validity(x, &nb, &na) == 0)
			verify(x, NULL, x, nb);
		X509_free(x);
	} else {
		FUZZ_ASSERT(x == NULL);
	}

	if (x509_chain_parse(data, size, &sk) != 0) {
		FUZZ_ASSERT(sk == NULL);
		return 0;
	}
	FUZZ_ASSERT(sk != NULL && (n = sk_X509_num(sk)) > 0);
	for (int i = 0; i < n; i++)
		check_cert(sk_X509_value(sk, i));
	/* a subordinate's import: leaf first, the last one trusted */
	leaf = sk_X509_value(sk, 0);
	anchor = sk_X509_value(sk, n - 1);
	if ((mid = sk_X509_new_null()) != NULL) {
		for (int i = 1; i < n - 1; i++)
			if (!sk_X509_push(mid, sk_X509_value(sk, i)))
				break;
		if (x509_cert_validity(leaf, &nb, &na) != 0)
			nb = 0;
		verify(leaf, mid, anchor, nb);
		sk_X509_free(mid);	/* borrowed certificates */
	}
	sk_X509_pop_free(sk, X509_free);
	ERR_clear_error();
	return 0;
}
