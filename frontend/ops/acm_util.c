/*
 * acm_util.c - helpers shared by the acm handlers and managed renewal
 * (acm_util.h).
 */
#include "acm_util.h"
#include "acm_keys.h"
#include "acmpca.h"
#include "arn.h"
#include "clock.h"
#include "log.h"
#include "ops.h"
#include "signer_client.h"
#include "store_iam.h"
#include "wipe.h"
#include "wire.h"
#include "x509util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define SETTING_PREFIX	"acm:days_before_expiry:"

/* ---- ARNs ------------------------------------------------------------------ */

int
acm_arn_parse(const char *arn, char id[STORE_ACM_ID_LEN + 1])
{
	static const char res[] = "certificate/";
	struct arn a;
	size_t i;

	id[0] = '\0';
	if (arn == NULL || arn_parse(arn, &a) != 0 || strcmp(a.partition, "aws") != 0 ||
	    strcmp(a.service, "acm") != 0 || a.region[0] == '\0')
		return PCA_ERR_INVALID;
	for (i = 0; a.account[i] != '\0'; i++)
		if (a.account[i] < '0' || a.account[i] > '9')
			return PCA_ERR_INVALID;
	if (i != STORE_ACCOUNT_ID_LEN || strncmp(a.resource, res, sizeof(res) - 1) != 0 ||
	    !uuid_valid(a.resource + sizeof(res) - 1))
		return PCA_ERR_INVALID;
	memcpy(id, a.resource + sizeof(res) - 1, STORE_ACM_ID_LEN);
	id[STORE_ACM_ID_LEN] = '\0';
	return 0;
}

void
acm_arn_format(char *out, size_t len, const char *region, const char *account, const char *id)
{
	snprintf(out, len, "arn:aws:acm:%s:%s:certificate/%s", region, account, id);
}

int
acm_cert_load(struct op_ctx *ctx, const char *arn, struct store_acm_cert *c)
{
	char id[STORE_ACM_ID_LEN + 1];
	int r;

	memset(c, 0, sizeof(*c));
	if (acm_arn_parse(arn, id) != 0)
		return op_fail(ctx, EXC_INVALID_ARN, "The certificate ARN %.200s is not valid.",
		    arn != NULL ? arn : "");
	if ((r = store_acm_cert_get(ctx->fe->store, id, c)) != 0) {
		if (r == PCA_ERR_NOT_FOUND)
			return op_fail(ctx, EXC_RESOURCE_NOT_FOUND, "Could not find certificate "
			    "%.200s.", arn);
		return fail_store(ctx, r, "certificate");
	}
	/* the same uuid under another account or region names nothing */
	if (strcmp(c->arn, arn) != 0 || strcmp(c->account_id, ctx->caller->account_id) != 0) {
		store_acm_cert_clear(c);
		return op_fail(ctx, EXC_RESOURCE_NOT_FOUND, "Could not find certificate %.200s.",
		    arn);
	}
	return 0;
}

/* ---- what a certificate says ----------------------------------------------- */

const char *
acm_key_algorithm_name(int k)
{
	const ProtobufCEnumValue *v;

	v = protobuf_c_enum_descriptor_get_value(&pca__api__acm__key_algorithm__descriptor, k);
	return v != NULL ? enum_wire(&pca__api__acm__key_algorithm__descriptor, k) : NULL;
}

int
acm_key_algorithm_of(EVP_PKEY *key)
{
	char group[64];

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		switch (EVP_PKEY_get_bits(key)) {
		case 1024:	return ACM_KEY(RSA_1024);
		case 2048:	return ACM_KEY(RSA_2048);
		case 3072:	return ACM_KEY(RSA_3072);
		case 4096:	return ACM_KEY(RSA_4096);
		default:	return 0;
		}
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) != 1) {
			ERR_clear_error();
			return 0;
		}
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
			return ACM_KEY(EC_prime256v1);
		if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
			return ACM_KEY(EC_secp384r1);
		if (strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0)
			return ACM_KEY(EC_secp521r1);
		return 0;
	default:
		return 0;
	}
}

/* AWS's names of signature algorithms ("SHA256WITHRSA"). */
static void
sigalg_name(X509 *x, char *out, size_t len)
{
	static const struct {
		int		 nid;
		const char	*name;
	} names[] = {
		{ NID_sha256WithRSAEncryption, "SHA256WITHRSA" },
		{ NID_sha384WithRSAEncryption, "SHA384WITHRSA" },
		{ NID_sha512WithRSAEncryption, "SHA512WITHRSA" },
		{ NID_sha1WithRSAEncryption, "SHA1WITHRSA" },
		{ NID_ecdsa_with_SHA256, "SHA256WITHECDSA" },
		{ NID_ecdsa_with_SHA384, "SHA384WITHECDSA" },
		{ NID_ecdsa_with_SHA512, "SHA512WITHECDSA" },
		{ NID_ecdsa_with_SHA1, "SHA1WITHECDSA" },
		{ NID_rsassaPss, "RSASSAPSS" },
	};
	int nid = X509_get_signature_nid(x);
	const char *sn;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nid == nid) {
			snprintf(out, len, "%s", names[i].name);
			return;
		}
	sn = OBJ_nid2sn(nid);
	snprintf(out, len, "%s", sn != NULL ? sn : "UNKNOWN");
	for (char *p = out; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
}

/* Add s to info's SANs unless it is there already. */
static int
sans_add(struct acm_cert_info *info, const char *s, size_t len)
{
	char **v;

	for (size_t i = 0; i < info->nsans; i++)
		if (strlen(info->sans[i]) == len && memcmp(info->sans[i], s, len) == 0)
			return 0;
	if ((v = realloc(info->sans, (info->nsans + 1) * sizeof(*v))) == NULL)
		return PCA_ERR_NOMEM;
	info->sans = v;
	if ((v[info->nsans] = strndup(s, len)) == NULL)
		return PCA_ERR_NOMEM;
	info->nsans++;
	return 0;
}

/* The CN (first one) as UTF-8; NULL when there is none. */
static char *
common_name(X509 *x)
{
	const X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_ENTRY *e;
	unsigned char *utf8 = NULL;
	char *s = NULL;
	int i, len;

	if ((i = X509_NAME_get_index_by_NID(n, NID_commonName, -1)) < 0 ||
	    (e = X509_NAME_get_entry(n, i)) == NULL)
		return NULL;
	if ((len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e))) < 0)
		return NULL;
	if (memchr(utf8, '\0', (size_t)len) == NULL)
		s = strndup((const char *)utf8, (size_t)len);
	OPENSSL_free(utf8);
	return s;
}

int
acm_cert_info_get(X509 *x, struct acm_cert_info *info)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	GENERAL_NAMES *gens = NULL;
	char *cn = NULL, ip[INET6_ADDRSTRLEN];
	int r = PCA_ERR_NOMEM;

	memset(info, 0, sizeof(*info));
	if (ASN1_STRING_length(sn) < 1 || ASN1_STRING_length(sn) > X509_SERIAL_MAX)
		return PCA_ERR_UNSUPPORTED;
	x509_serial_hex_colon(ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn),
	    info->serial);
	if (x509_cert_validity(x, &info->not_before, &info->not_after) != 0)
		return PCA_ERR_INVALID;
	sigalg_name(x, info->signature_algorithm, sizeof(info->signature_algorithm));
	if (X509_get0_pubkey(x) != NULL)
		info->key_algorithm = acm_key_algorithm_of(X509_get0_pubkey(x));
	ERR_clear_error();
	if ((info->subject = x509_name_oneline(X509_get_subject_name(x))) == NULL ||
	    (info->issuer = x509_name_oneline(X509_get_issuer_name(x))) == NULL)
		goto out;
	/* the names: the CN first, then the subjectAltName's DNS names and
	 * addresses */
	if ((cn = common_name(x)) != NULL && sans_add(info, cn, strlen(cn)) != 0)
		goto out;
	if ((gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL)) != NULL) {
		for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
			const ASN1_STRING *s;

			if (g->type == GEN_DNS) {
				s = g->d.dNSName;
				if (memchr(ASN1_STRING_get0_data(s), '\0',
				    (size_t)ASN1_STRING_length(s)) != NULL)
					continue;
				if (sans_add(info, (const char *)ASN1_STRING_get0_data(s),
				    (size_t)ASN1_STRING_length(s)) != 0)
					goto out;
			} else if (g->type == GEN_IPADD) {
				s = g->d.iPAddress;
				if (ASN1_STRING_length(s) == 4)
					inet_ntop(AF_INET, ASN1_STRING_get0_data(s), ip, sizeof(ip));
				else if (ASN1_STRING_length(s) == 16)
					inet_ntop(AF_INET6, ASN1_STRING_get0_data(s), ip, sizeof(ip));
				else
					continue;
				if (sans_add(info, ip, strlen(ip)) != 0)
					goto out;
			}
		}
	}
	ERR_clear_error();
	if (info->nsans > 0 && (info->domain_name = strdup(info->sans[0])) == NULL)
		goto out;
	r = 0;
 out:
	GENERAL_NAMES_free(gens);
	free(cn);
	if (r != 0)
		acm_cert_info_clear(info);
	return r;
}

void
acm_cert_info_clear(struct acm_cert_info *info)
{
	if (info == NULL)
		return;
	free(info->subject);
	free(info->issuer);
	free(info->domain_name);
	for (size_t i = 0; i < info->nsans; i++)
		free(info->sans[i]);
	free(info->sans);
	memset(info, 0, sizeof(*info));
}

X509 *
acm_cert_pem_parse(const char *pem)
{
	X509 *x = NULL;

	if (pem == NULL || x509_cert_parse((const uint8_t *)pem, strlen(pem), &x) != 0)
		return NULL;
	return x;
}

#define KU(x)	PCA__API__ACM__KEY_USAGE_NAME__KeyUsageName_##x
#define EKU(x)	PCA__API__ACM__EXTENDED_KEY_USAGE_NAME__ExtendedKeyUsageName_##x

void
acm_cert_usages(X509 *x, struct acm_usages *u)
{
	static const struct {
		uint32_t	 bit;
		int		 name;
	} kus[] = {
		{ KU_DIGITAL_SIGNATURE, KU(DIGITAL_SIGNATURE) },
		{ KU_NON_REPUDIATION, KU(NON_REPUDIATION) },
		{ KU_KEY_ENCIPHERMENT, KU(KEY_ENCIPHERMENT) },
		{ KU_DATA_ENCIPHERMENT, KU(DATA_ENCIPHERMENT) },
		{ KU_KEY_AGREEMENT, KU(KEY_AGREEMENT) },
		{ KU_KEY_CERT_SIGN, KU(CERTIFICATE_SIGNING) },
		{ KU_CRL_SIGN, KU(CRL_SIGNING) },
		{ KU_ENCIPHER_ONLY, KU(ENCIPHER_ONLY) },
		{ KU_DECIPHER_ONLY, KU(DECIPHER_ONLY) },
	};
	static const struct {
		int	 nid;
		int	 name;
	} ekus[] = {
		{ NID_server_auth, EKU(TLS_WEB_SERVER_AUTHENTICATION) },
		{ NID_client_auth, EKU(TLS_WEB_CLIENT_AUTHENTICATION) },
		{ NID_code_sign, EKU(CODE_SIGNING) },
		{ NID_email_protect, EKU(EMAIL_PROTECTION) },
		{ NID_time_stamp, EKU(TIME_STAMPING) },
		{ NID_OCSP_sign, EKU(OCSP_SIGNING) },
		{ NID_ipsecEndSystem, EKU(IPSEC_END_SYSTEM) },
		{ NID_ipsecTunnel, EKU(IPSEC_TUNNEL) },
		{ NID_ipsecUser, EKU(IPSEC_USER) },
		{ NID_anyExtendedKeyUsage, EKU(ANY) },
	};
	EXTENDED_KEY_USAGE *eku;
	uint32_t bits;

	memset(u, 0, sizeof(*u));
	if ((bits = X509_get_key_usage(x)) != UINT32_MAX)
		for (size_t i = 0; i < sizeof(kus) / sizeof(kus[0]); i++)
			if (bits & kus[i].bit)
				u->ku[u->nku++] = kus[i].name;
	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL)) != NULL) {
		u->has_eku = 1;
		for (int i = 0; i < sk_ASN1_OBJECT_num(eku) && u->neku < ACM_USAGES_MAX; i++) {
			const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
			int nid = OBJ_obj2nid(o), name = EKU(CUSTOM);

			for (size_t j = 0; j < sizeof(ekus) / sizeof(ekus[0]); j++)
				if (ekus[j].nid == nid)
					name = ekus[j].name;
			u->eku[u->neku] = name;
			if (OBJ_obj2txt(u->eku_oid[u->neku], sizeof(u->eku_oid[0]), o, 1) <= 0)
				u->eku_oid[u->neku][0] = '\0';
			u->neku++;
		}
		EXTENDED_KEY_USAGE_free(eku);
	}
	ERR_clear_error();
}

/* ---- state ------------------------------------------------------------------- */

int
acm_cert_status(const struct store_acm_cert *c, int64_t now)
{
	if (c->status == ACM_STATUS(ISSUED) && c->not_after != 0 && now >= c->not_after)
		return ACM_STATUS(EXPIRED);
	return c->status;
}

int
acm_cert_eligible(const struct store_acm_cert *c, int64_t now)
{
	return c->type == ACM_TYPE(PRIVATE) && c->ca_arn != NULL &&
	    acm_cert_status(c, now) == ACM_STATUS(ISSUED) && c->exported_since_issue &&
	    c->key_ciphertext != NULL;
}

int
acm_cert_failure_reason(const struct store_acm_cert *c)
{
	return c->status == ACM_STATUS(FAILED) && c->renewal_status == 0 ? c->renewal_reason : 0;
}

void
acm_setting_key(char *out, size_t len, const char *account_id)
{
	snprintf(out, len, SETTING_PREFIX "%s", account_id);
}

int64_t
acm_renewal_window(struct frontend *fe, const char *account_id)
{
	char key[64], *v = NULL, *end;
	long days = ACM_WINDOW_DEFAULT_DAYS;

	acm_setting_key(key, sizeof(key), account_id);
	if (store_setting_get(fe->store, key, &v) == 0) {
		long d = strtol(v, &end, 10);

		if (*end == '\0' && d >= 1 && d <= ACM_WINDOW_MAX_DAYS)
			days = d;
	}
	free(v);
	return (int64_t)days * 86400;
}

/* ---- the private key at rest --------------------------------------------- */

/*
 * The signer's envelope operations (signer_client.h), in one place so the
 * handlers do not depend on their exact shape: the data key is bound to
 * the certificate's ARN on both sides.
 */
static int
data_key_wrap(struct fe_worker *w, const uint8_t dk[ACM_DATA_KEY_LEN], const char *arn,
    uint8_t **wrapped, size_t *wrapped_len, char *why, size_t whylen)
{
	return signer_client_wrap_data_key(w->signer, dk, ACM_DATA_KEY_LEN,
	    (const uint8_t *)arn, strlen(arn), wrapped, wrapped_len, NULL, 0, why, whylen);
}

static int
data_key_unwrap(struct fe_worker *w, const uint8_t *wrapped, size_t wrapped_len,
    const char *arn, uint8_t dk[ACM_DATA_KEY_LEN], char *why, size_t whylen)
{
	uint8_t buf[SIGNER_DATA_KEY_MAX];
	size_t len = 0;
	int r;

	r = signer_client_unwrap_data_key(w->signer, wrapped, wrapped_len,
	    (const uint8_t *)arn, strlen(arn), buf, sizeof(buf), &len, why, whylen);
	if (r == 0 && len != ACM_DATA_KEY_LEN) {
		snprintf(why, whylen, "the data key has %zu bytes", len);
		r = PCA_ERR_MALFORMED;
	}
	if (r == 0)
		memcpy(dk, buf, ACM_DATA_KEY_LEN);
	wipe(buf, sizeof(buf));
	return r;
}

int
acm_key_protect(struct fe_worker *w, EVP_PKEY *key, struct store_acm_cert *c, char *why,
    size_t whylen)
{
	uint8_t dk[ACM_DATA_KEY_LEN], iv[ACM_SEAL_IV_LEN], tag[ACM_SEAL_TAG_LEN];
	uint8_t *ct = NULL, *wrapped = NULL;
	size_t ct_len = 0, wrapped_len = 0;
	int r;

	why[0] = '\0';
	if (RAND_bytes(dk, sizeof(dk)) != 1) {
		ERR_clear_error();
		snprintf(why, whylen, "no random data key");
		r = PCA_ERR_CRYPTO;
		goto out;
	}
	if ((r = acm_key_seal(key, dk, c->arn, &ct, &ct_len, iv, tag)) != 0) {
		snprintf(why, whylen, "the key could not be sealed");
		goto out;
	}
	if ((r = data_key_wrap(w, dk, c->arn, &wrapped, &wrapped_len, why, whylen)) != 0)
		goto out;
	free(c->key_ciphertext);
	free(c->wrapped_data_key);
	c->key_ciphertext = ct;
	c->key_ciphertext_len = ct_len;
	c->wrapped_data_key = wrapped;
	c->wrapped_data_key_len = wrapped_len;
	memcpy(c->key_iv, iv, sizeof(iv));
	memcpy(c->key_tag, tag, sizeof(tag));
	ct = wrapped = NULL;
	r = 0;
 out:
	wipe(dk, sizeof(dk));
	free(ct);
	free(wrapped);
	return r;
}

int
acm_key_unprotect(struct fe_worker *w, const struct store_acm_cert *c, EVP_PKEY **key,
    char *why, size_t whylen)
{
	uint8_t dk[ACM_DATA_KEY_LEN];
	int r;

	*key = NULL;
	why[0] = '\0';
	if (c->key_ciphertext == NULL || c->wrapped_data_key == NULL) {
		snprintf(why, whylen, "the certificate has no private key");
		return PCA_ERR_NOT_FOUND;
	}
	if ((r = data_key_unwrap(w, c->wrapped_data_key, c->wrapped_data_key_len, c->arn, dk,
	    why, whylen)) == 0 &&
	    (r = acm_key_open(c->key_ciphertext, c->key_ciphertext_len, c->key_iv, c->key_tag,
	    dk, c->arn, key)) != 0)
		snprintf(why, whylen, "the stored key does not open");
	wipe(dk, sizeof(dk));
	return r;
}

/* ---- issuance through acm-pca --------------------------------------------- */

void
acm_sub_ctx(struct op_ctx *sub, struct fe_worker *w, const struct caller *caller)
{
	memset(sub, 0, sizeof(*sub));
	sub->fe = w->fe;
	sub->w = w;
	sub->caller = caller;
}

int
acm_call(struct op_ctx *sub, const char *service, const char *name,
    const ProtobufCMessage *in, ProtobufCMessage **out)
{
	*out = NULL;
	sub->exc = EXC_NONE;
	sub->msg[0] = '\0';
	if ((sub->op = ops_find(service, name)) == NULL)
		return op_fail(sub, EXC_INTERNAL, "operation %s:%s is not available", service,
		    name);
	return dispatch_call(sub, in, out);
}

int
acm_ca_peek(struct frontend *fe, const char *ca_arn, int *is_ec, int64_t *not_after)
{
	struct store_ca ca;
	struct arn a;
	char id[37];
	int r;

	*is_ec = 0;
	*not_after = 0;
	if (arn_parse_ca(ca_arn, &a, id) != 0)
		return PCA_ERR_NOT_FOUND;
	if ((r = store_ca_get(fe->store, id, &ca)) != 0)
		return r;
	if (strcmp(ca.arn, ca_arn) != 0) {
		store_ca_clear(&ca);
		return PCA_ERR_NOT_FOUND;
	}
	*is_ec = strcmp(key_family(ca.key_algorithm), "ECDSA") == 0;
	*not_after = ca.not_after;
	store_ca_clear(&ca);
	return 0;
}

int
acm_pca_issue(struct op_ctx *sub, const char *ca_arn, EVP_PKEY *key, const char *domain,
    const char *const *names, size_t nnames, int list_permissions_first, const char *token,
    char **cert_pem, char **chain_pem)
{
	Pca__Api__AcmPca__ListPermissionsRequest lreq =
	    PCA__API__ACM_PCA__LIST_PERMISSIONS_REQUEST__INIT;
	Pca__Api__AcmPca__IssueCertificateRequest ireq =
	    PCA__API__ACM_PCA__ISSUE_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__GetCertificateRequest greq =
	    PCA__API__ACM_PCA__GET_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__Validity validity = PCA__API__ACM_PCA__VALIDITY__INIT;
	Pca__Api__AcmPca__IssueCertificateResponse *iout = NULL;
	Pca__Api__AcmPca__GetCertificateResponse *gout = NULL;
	ProtobufCMessage *out = NULL;
	uint8_t *csr_der = NULL;
	size_t csr_len = 0;
	char *csr_pem = NULL, *serial = NULL, why[256], ca_id[37], scope[ACMPCA_ISSUE_SCOPE_MAX];
	char cert_arn[ARN_MAX + 1];
	struct arn a;
	X509 *x;
	int64_t ca_not_after;
	int is_ec = 0, r, rc = -1;

	*cert_pem = *chain_pem = NULL;
	/* the signing algorithm follows the CA's key; a CA that is not there
	 * gets one anyway, and acm-pca says what is wrong with the request */
	if (acm_ca_peek(sub->fe, ca_arn, &is_ec, &ca_not_after) != 0)
		is_ec = 0;
	if (list_permissions_first) {
		lreq.certificate_authority_arn = (char *)ca_arn;
		if (acm_call(sub, "acm-pca", "ListPermissions", &lreq.base, &out) != 0)
			goto out;
		protobuf_c_message_free_unpacked(out, NULL);
		out = NULL;
	}
	/* asked before (a renewal taken over): the certificate of that request */
	if (token != NULL && arn_parse_ca(ca_arn, &a, ca_id) == 0) {
		acmpca_issue_scope(scope, sizeof(scope), sub->caller->account_id, ca_id);
		r = store_idem_lookup(sub->fe->store, scope, token, &serial);
		if (r == 0 && serial[0] != '\0') {
			arn_format_cert(cert_arn, sizeof(cert_arn), ca_arn, serial);
			greq.certificate_arn = cert_arn;
			goto get;
		}
		if (r != 0 && r != PCA_ERR_NOT_FOUND) {
			op_fail(sub, EXC_SERVICE_UNAVAILABLE, "The store cannot be read.");
			goto out;
		}
	}
	if (acm_csr_build(key, domain, names, nnames, &csr_der, &csr_len, why,
	    sizeof(why)) != 0) {
		op_fail(sub, EXC_ACM_INVALID_PARAMETER, "The certificate request cannot be "
		    "built: %s", why);
		goto out;
	}
	if (x509_csr_der_to_pem(csr_der, csr_len, &csr_pem) != 0) {
		op_fail(sub, EXC_INTERNAL, "out of memory");
		goto out;
	}
	ireq.certificate_authority_arn = (char *)ca_arn;
	ireq.csr.data = (uint8_t *)csr_pem;
	ireq.csr.len = strlen(csr_pem);
	ireq.signing_algorithm = is_ec ? SIG_ALG(SHA256WITHECDSA) : SIG_ALG(SHA256WITHRSA);
	ireq.template_arn = (char *)ACM_TEMPLATE_ARN;
	validity.value = ACM_VALIDITY_DAYS;
	validity.type = PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_DAYS;
	ireq.validity = &validity;
	ireq.idempotency_token = (char *)token;
	if (acm_call(sub, "acm-pca", "IssueCertificate", &ireq.base, &out) != 0)
		goto out;
	iout = (Pca__Api__AcmPca__IssueCertificateResponse *)(void *)out;
	out = NULL;
	greq.certificate_arn = iout->certificate_arn;
 get:
	greq.certificate_authority_arn = (char *)ca_arn;
	if (acm_call(sub, "acm-pca", "GetCertificate", &greq.base, &out) != 0)
		goto out;
	gout = (Pca__Api__AcmPca__GetCertificateResponse *)(void *)out;
	out = NULL;
	if (gout->certificate == NULL) {
		op_fail(sub, EXC_INTERNAL, "the CA returned no certificate");
		goto out;
	}
	/* never pair the key with a certificate for another one (a token's
	 * certificate is fetched without the CSR that asked for it) */
	if ((x = acm_cert_pem_parse(gout->certificate)) == NULL ||
	    x509_pkey_equal(X509_get0_pubkey(x), key) != 1) {
		X509_free(x);
		op_fail(sub, EXC_REQUEST_FAILED, "The certificate the CA returned is not for the "
		    "requested key.");
		goto out;
	}
	X509_free(x);
	*cert_pem = gout->certificate;
	gout->certificate = NULL;
	*chain_pem = gout->certificate_chain;
	gout->certificate_chain = NULL;
	rc = 0;
 out:
	if (out != NULL)
		protobuf_c_message_free_unpacked(out, NULL);
	if (iout != NULL)
		protobuf_c_message_free_unpacked(&iout->base, NULL);
	if (gout != NULL)
		protobuf_c_message_free_unpacked(&gout->base, NULL);
	free(csr_der);
	free(csr_pem);
	free(serial);
	return rc;
}

int
acm_failure_reason(struct frontend *fe, const char *ca_arn, enum api_exc e)
{
	int64_t ca_not_after;
	int is_ec;

	switch (e) {
	case EXC_ACCESS_DENIED:
		/* nobody's policy allows anything on a CA that is gone: say it
		 * is gone, as the owner can act on that */
		if (acm_ca_peek(fe, ca_arn, &is_ec, &ca_not_after) == PCA_ERR_NOT_FOUND)
			return ACM_REASON(PCA_RESOURCE_NOT_FOUND);
		return ACM_REASON(PCA_ACCESS_DENIED);
	case EXC_INVALID_STATE:
		return ACM_REASON(PCA_INVALID_STATE);
	case EXC_RESOURCE_NOT_FOUND:
		return ACM_REASON(PCA_RESOURCE_NOT_FOUND);
	case EXC_INVALID_ARN:
		return ACM_REASON(PCA_INVALID_ARN);
	case EXC_LIMIT_EXCEEDED:
		return ACM_REASON(PCA_LIMIT_EXCEEDED);
	case EXC_INVALID_ARGS:
	case EXC_MALFORMED_CSR:
		if (acm_ca_peek(fe, ca_arn, &is_ec, &ca_not_after) == 0 && ca_not_after != 0 &&
		    ca_not_after < clock_now() + (int64_t)ACM_VALIDITY_DAYS * 86400)
			return ACM_REASON(PCA_INVALID_DURATION);
		return ACM_REASON(PCA_INVALID_ARGS);
	default:
		return ACM_REASON(PCA_REQUEST_FAILED);
	}
}

int
acm_exc_transient(enum api_exc e)
{
	return e == EXC_INTERNAL || e == EXC_SERVICE_UNAVAILABLE || e == EXC_THROTTLING ||
	    e == EXC_CONCURRENT_MODIFICATION || e == EXC_REQUEST_IN_PROGRESS;
}

int
acm_cert_set_issued(struct store_acm_cert *c, char *cert_pem, char *chain_pem)
{
	struct acm_cert_info info;
	X509 *x;
	int r;

	if ((x = acm_cert_pem_parse(cert_pem)) == NULL) {
		free(cert_pem);
		free(chain_pem);
		return PCA_ERR_MALFORMED;
	}
	r = acm_cert_info_get(x, &info);
	X509_free(x);
	if (r != 0) {
		free(cert_pem);
		free(chain_pem);
		return r;
	}
	free(c->cert_pem);
	free(c->chain_pem);
	free(c->serial);
	free(c->subject);
	free(c->issuer);
	free(c->signature_algorithm);
	c->cert_pem = cert_pem;
	c->chain_pem = chain_pem;
	c->serial = strdup(info.serial);
	c->subject = info.subject;
	c->issuer = info.issuer;
	info.subject = info.issuer = NULL;
	c->signature_algorithm = strdup(info.signature_algorithm);
	c->not_before = info.not_before;
	c->not_after = info.not_after;
	acm_cert_info_clear(&info);
	return c->serial != NULL && c->signature_algorithm != NULL ? 0 : PCA_ERR_NOMEM;
}

/* ---- output shapes ---------------------------------------------------------- */

static int
strv_dup(char ***out, size_t *nout, char *const *v, size_t n)
{
	*out = NULL;
	*nout = 0;
	if (n == 0)
		return 0;
	if ((*out = calloc(n, sizeof(char *))) == NULL)
		return PCA_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if (((*out)[i] = strdup(v[i])) == NULL)
			return PCA_ERR_NOMEM;
		(*nout)++;
	}
	return 0;
}

/* The certificate's names: its SANs, else its domain (in one[0]). */
static void
names_of(const struct store_acm_cert *c, char *one[1], char *const **v, size_t *n)
{
	if (c->nsans > 0) {
		*v = c->sans;
		*n = c->nsans;
	} else {
		one[0] = c->domain_name;
		*v = one;
		*n = 1;
	}
}

#define DOMAIN_STATUS(x)	PCA__API__ACM__DOMAIN_STATUS__DomainStatus_##x

/* DomainValidationOptions as AWS shows them for a private certificate:
 * one entry per name, nothing to validate. ValidationStatus follows the
 * certificate (SUCCESS once issued), so that the CertificateValidated
 * waiter of the aws CLI and the SDKs, which reads only that, ends. */
static int
dvo_list(const struct store_acm_cert *c, Pca__Api__Acm__DomainValidation ***out, size_t *nout)
{
	char *const *v, *one[1];
	size_t n;

	*out = NULL;
	*nout = 0;
	if (c->domain_name == NULL)
		return 0;
	names_of(c, one, &v, &n);
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return PCA_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		Pca__Api__Acm__DomainValidation *d;

		if ((d = (void *)msg_new(&pca__api__acm__domain_validation__descriptor)) == NULL)
			return PCA_ERR_NOMEM;
		(*out)[(*nout)++] = d;
		if ((d->domain_name = strdup(v[i])) == NULL)
			return PCA_ERR_NOMEM;
		d->has_validation_status = 1;
		if (c->status == ACM_STATUS(PENDING_VALIDATION))
			d->validation_status = DOMAIN_STATUS(PENDING_VALIDATION);
		else if (c->status == ACM_STATUS(FAILED) || c->status == ACM_STATUS(VALIDATION_TIMED_OUT))
			d->validation_status = DOMAIN_STATUS(FAILED);
		else
			d->validation_status = DOMAIN_STATUS(SUCCESS);
	}
	return 0;
}

static int
usages_fill(Pca__Api__Acm__CertificateDetail *d, const struct store_acm_cert *c)
{
	struct acm_usages u;
	X509 *x;

	if (c->cert_pem == NULL || (x = acm_cert_pem_parse(c->cert_pem)) == NULL)
		return 0;
	acm_cert_usages(x, &u);
	X509_free(x);
	if (u.nku > 0 && (d->key_usages = calloc(u.nku, sizeof(void *))) == NULL)
		return PCA_ERR_NOMEM;
	for (size_t i = 0; i < u.nku; i++) {
		Pca__Api__Acm__KeyUsage *k;

		if ((k = (void *)msg_new(&pca__api__acm__key_usage__descriptor)) == NULL)
			return PCA_ERR_NOMEM;
		d->key_usages[d->n_key_usages++] = k;
		k->has_name = 1;
		k->name = u.ku[i];
	}
	if (u.neku > 0 && (d->extended_key_usages = calloc(u.neku, sizeof(void *))) == NULL)
		return PCA_ERR_NOMEM;
	for (size_t i = 0; i < u.neku; i++) {
		Pca__Api__Acm__ExtendedKeyUsage *k;

		if ((k = (void *)msg_new(&pca__api__acm__extended_key_usage__descriptor)) == NULL)
			return PCA_ERR_NOMEM;
		d->extended_key_usages[d->n_extended_key_usages++] = k;
		k->has_name = 1;
		k->name = u.eku[i];
		if (u.eku_oid[i][0] != '\0' && (k->oid = strdup(u.eku_oid[i])) == NULL)
			return PCA_ERR_NOMEM;
	}
	return 0;
}

Pca__Api__Acm__CertificateDetail *
acm_detail_shape(const struct store_acm_cert *c, int64_t now)
{
	Pca__Api__Acm__CertificateDetail *d;
	Pca__Api__Acm__CertificateOptions *o;
	char *const *names, *one[1];
	size_t nnames;
	int r = PCA_ERR_NOMEM, status = acm_cert_status(c, now);

	if ((d = (void *)msg_new(&pca__api__acm__certificate_detail__descriptor)) == NULL)
		return NULL;
	if ((d->certificate_arn = xstrdup(c->arn)) == NULL ||
	    (d->domain_name = xstrdup(c->domain_name)) == NULL)
		goto out;
	names_of(c, one, &names, &nnames);
	if (strv_dup(&d->subject_alternative_names, &d->n_subject_alternative_names, names,
	    nnames) != 0)
		goto out;
	if (c->type == ACM_TYPE(PRIVATE) && dvo_list(c, &d->domain_validation_options,
	    &d->n_domain_validation_options) != 0)
		goto out;
	if ((c->serial != NULL && (d->serial = strdup(c->serial)) == NULL) ||
	    (c->subject != NULL && (d->subject = strdup(c->subject)) == NULL) ||
	    (c->issuer != NULL && (d->issuer = strdup(c->issuer)) == NULL) ||
	    (c->signature_algorithm != NULL &&
	    (d->signature_algorithm = strdup(c->signature_algorithm)) == NULL))
		goto out;
	if (c->type == ACM_TYPE(IMPORTED)) {
		d->has_imported_at = 1;
		d->imported_at = (double)c->imported_at;
	} else {
		d->has_created_at = 1;
		d->created_at = (double)c->created_at;
		if (c->issued_at != 0) {
			d->has_issued_at = 1;
			d->issued_at = (double)c->issued_at;
		}
	}
	d->has_status = 1;
	d->status = status;
	if (c->not_before != 0 || c->not_after != 0) {
		d->has_not_before = d->has_not_after = 1;
		d->not_before = (double)c->not_before;
		d->not_after = (double)c->not_after;
	}
	if (c->key_algorithm != 0) {
		d->has_key_algorithm = 1;
		d->key_algorithm = c->key_algorithm;
	}
	if (acm_cert_failure_reason(c) != 0) {
		d->has_failure_reason = 1;
		d->failure_reason = acm_cert_failure_reason(c);
	}
	d->has_type = 1;
	d->type = c->type;
	if (c->renewal_status != 0) {
		Pca__Api__Acm__RenewalSummary *s;

		if ((s = (void *)msg_new(&pca__api__acm__renewal_summary__descriptor)) == NULL)
			goto out;
		d->renewal_summary = s;
		s->renewal_status = c->renewal_status;
		s->updated_at = (double)c->renewal_updated_at;
		if (c->renewal_reason != 0) {
			s->has_renewal_status_reason = 1;
			s->renewal_status_reason = c->renewal_reason;
		}
		if (dvo_list(c, &s->domain_validation_options, &s->n_domain_validation_options) != 0)
			goto out;
	}
	if (usages_fill(d, c) != 0)
		goto out;
	if (c->ca_arn != NULL && (d->certificate_authority_arn = strdup(c->ca_arn)) == NULL)
		goto out;
	d->has_renewal_eligibility = 1;
	d->renewal_eligibility = acm_cert_eligible(c, now) ?
	    PCA__API__ACM__RENEWAL_ELIGIBILITY__RenewalEligibility_ELIGIBLE :
	    PCA__API__ACM__RENEWAL_ELIGIBILITY__RenewalEligibility_INELIGIBLE;
	/* Options: the keys of private and imported certificates are
	 * exportable; no preference for certificate transparency is kept,
	 * as they are never logged (UpdateCertificateOptions) */
	if ((o = (void *)msg_new(&pca__api__acm__certificate_options__descriptor)) == NULL)
		goto out;
	d->options = o;
	o->has_export = 1;
	o->export = PCA__API__ACM__CERTIFICATE_EXPORT__CertificateExport_ENABLED;
	r = 0;
 out:
	if (r != 0) {
		protobuf_c_message_free_unpacked(&d->base, NULL);
		return NULL;
	}
	return d;
}

Pca__Api__Acm__CertificateSummary *
acm_summary_shape(const struct store_acm_cert *c, X509 *x, int64_t now)
{
	Pca__Api__Acm__CertificateSummary *s;
	struct acm_usages u;
	char *const *names, *one[1];
	size_t nnames;

	if ((s = (void *)msg_new(&pca__api__acm__certificate_summary__descriptor)) == NULL)
		return NULL;
	names_of(c, one, &names, &nnames);
	if ((s->certificate_arn = xstrdup(c->arn)) == NULL ||
	    (s->domain_name = xstrdup(c->domain_name)) == NULL ||
	    strv_dup(&s->subject_alternative_name_summaries,
	    &s->n_subject_alternative_name_summaries, names, nnames) != 0)
		goto fail;
	s->has_has_additional_subject_alternative_names = 1;
	s->has_status = s->has_type = 1;
	s->status = acm_cert_status(c, now);
	s->type = c->type;
	if (c->key_algorithm != 0) {
		s->has_key_algorithm = 1;
		s->key_algorithm = c->key_algorithm;
	}
	if (x != NULL) {
		acm_cert_usages(x, &u);
		if (u.nku > 0 && (s->key_usages = calloc(u.nku, sizeof(int))) == NULL)
			goto fail;
		for (size_t i = 0; i < u.nku; i++)
			s->key_usages[s->n_key_usages++] = u.ku[i];
		if (u.neku > 0 && (s->extended_key_usages = calloc(u.neku, sizeof(int))) == NULL)
			goto fail;
		for (size_t i = 0; i < u.neku; i++)
			s->extended_key_usages[s->n_extended_key_usages++] = u.eku[i];
	}
	s->has_export_option = 1;
	s->export_option = PCA__API__ACM__CERTIFICATE_EXPORT__CertificateExport_ENABLED;
	s->has_in_use = s->has_exported = s->has_renewal_eligibility = 1;
	s->exported = c->exported_since_issue != 0;
	s->renewal_eligibility = acm_cert_eligible(c, now) ?
	    PCA__API__ACM__RENEWAL_ELIGIBILITY__RenewalEligibility_ELIGIBLE :
	    PCA__API__ACM__RENEWAL_ELIGIBILITY__RenewalEligibility_INELIGIBLE;
	if (c->not_before != 0 || c->not_after != 0) {
		s->has_not_before = s->has_not_after = 1;
		s->not_before = (double)c->not_before;
		s->not_after = (double)c->not_after;
	}
	if (c->type == ACM_TYPE(IMPORTED)) {
		s->has_imported_at = 1;
		s->imported_at = (double)c->imported_at;
	} else {
		s->has_created_at = 1;
		s->created_at = (double)c->created_at;
		if (c->issued_at != 0) {
			s->has_issued_at = 1;
			s->issued_at = (double)c->issued_at;
		}
	}
	return s;
 fail:
	protobuf_c_message_free_unpacked(&s->base, NULL);
	return NULL;
}
