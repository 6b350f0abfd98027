/*
 * csr_fuzz.c - client CSRs (IssueCertificate's Csr): common/x509util.h
 * x509_csr_load and x509_csr_validate (the frontend's path), x509_csr_parse
 * and x509_csr_check (PEM or DER, as OpenSSL objects), and the subject,
 * SPKI and subjectAltName extraction the frontend feeds the signer with.
 *
 * Invariants checked on every CSR that parses:
 *   - its DER re-encoding turns into PEM (x509_csr_der_to_pem) and that
 *     PEM parses back (x509_csr_parse);
 *   - the extracted subject, SPKI and SAN are DER that OpenSSL reads back,
 *     and a CSR that passed x509_csr_check has a key x509_spki_to_pkey takes;
 *   - whatever x509_csr_load takes, x509_csr_parse takes, with the same
 *     subject, SPKI and SAN bytes; whatever x509_csr_validate accepts,
 *     OpenSSL's own X509_REQ_verify accepts with the key its decoder
 *     makes, and that key equals x509_csr_pkey's.
 *
 * Seeds: tests/fuzz/corpus/csr/, made by tests/fuzz/gen-x509-seeds.sh.
 */
#include "fuzz_util.h"
#include "x509util.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

static void
check_extractions(X509_REQ *req, int checked)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	EVP_PKEY *pkey = NULL;
	X509_NAME *name;
	GENERAL_NAMES *gens;
	char *s;
	int r;

	if (x509_csr_subject_der(req, &der, &len) == 0) {
		p = der;
		name = d2i_X509_NAME(NULL, &p, (long)len);
		FUZZ_ASSERT(name != NULL && p == der + len);
		X509_NAME_free(name);
	}
	free(der);
	der = NULL;

	r = x509_csr_spki_der(req, &der, &len);
	if (r == 0) {
		r = x509_spki_to_pkey(der, len, &pkey);
		/* a key x509_csr_check accepted always decodes again */
		FUZZ_ASSERT(!checked || r == 0);
		EVP_PKEY_free(pkey);
	}
	FUZZ_ASSERT(!checked || der != NULL);
	free(der);
	der = NULL;

	r = x509_csr_san_der(req, &der, &len);
	if (r == 0) {
		p = der;
		gens = d2i_GENERAL_NAMES(NULL, &p, (long)len);
		FUZZ_ASSERT(gens != NULL && p == der + len && sk_GENERAL_NAME_num(gens) > 0);
		GENERAL_NAMES_free(gens);
	} else {
		FUZZ_ASSERT(der == NULL && len == 0);
	}
	free(der);

	s = x509_name_oneline(X509_REQ_get_subject_name(req));
	free(s);
	ERR_clear_error();
}

/* DER -> PEM -> parse again. */
static void
check_pem_round_trip(X509_REQ *req)
{
	unsigned char *der = NULL;
	char *pem = NULL;
	X509_REQ *again = NULL;
	int n;

	if ((n = i2d_X509_REQ(req, &der)) <= 0) {
		ERR_clear_error();
		return;
	}
	if (x509_csr_der_to_pem(der, (size_t)n, &pem) == 0) {
		FUZZ_ASSERT(x509_csr_parse((const uint8_t *)pem, strlen(pem), &again) == 0);
		X509_REQ_free(again);
	}
	free(pem);
	OPENSSL_free(der);
	ERR_clear_error();
}

/* struct x509_csr against X509_REQ (the header's invariants). */
static void
check_against_openssl(const uint8_t *data, size_t size)
{
	static const enum x509_csr_part parts[] = { X509_CSR_SUBJECT, X509_CSR_SPKI,
	    X509_CSR_SAN };
	struct x509_csr *csr = NULL;
	X509_REQ *req = NULL;
	EVP_PKEY *ref;
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen;
	char why[256];
	int ra, rb;

	if (x509_csr_load(data, size, &csr) != 0) {
		FUZZ_ASSERT(csr == NULL);
		return;
	}
	FUZZ_ASSERT(x509_csr_parse(data, size, &req) == 0);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		ra = x509_csr_part_der(csr, parts[i], &a, &alen);
		rb = parts[i] == X509_CSR_SUBJECT ? x509_csr_subject_der(req, &b, &blen) :
		    parts[i] == X509_CSR_SPKI ? x509_csr_spki_der(req, &b, &blen) :
		    x509_csr_san_der(req, &b, &blen);
		FUZZ_ASSERT(ra == rb);
		FUZZ_ASSERT(ra != 0 || (alen == blen && memcmp(a, b, alen) == 0));
		free(a);
		free(b);
		a = b = NULL;
	}
	if (x509_csr_validate(csr, why, sizeof(why)) == 0) {
		ref = X509_REQ_get0_pubkey(req);
		FUZZ_ASSERT(ref != NULL && X509_REQ_verify(req, ref) == 1);
		FUZZ_ASSERT(x509_pkey_equal(ref, x509_csr_pkey(csr)));
	} else {
		FUZZ_ASSERT(why[0] != '\0');
	}
	X509_REQ_free(req);
	x509_csr_free(csr);
	ERR_clear_error();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	X509_REQ *req = NULL;
	char why[256];
	int checked;

	if (!ready) {
		fuzz_logs("csr_fuzz");
		ready = 1;
	}
	check_against_openssl(data, size);
	if (x509_csr_parse(data, size, &req) != 0) {
		FUZZ_ASSERT(req == NULL);
		return 0;
	}
	FUZZ_ASSERT(req != NULL);
	checked = x509_csr_check(req, why, sizeof(why)) == 0;
	FUZZ_ASSERT(checked || why[0] != '\0');
	check_extractions(req, checked);
	check_pem_round_trip(req);
	X509_REQ_free(req);
	return 0;
}
