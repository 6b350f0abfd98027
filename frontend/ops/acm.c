/*
 * acm.c - the acm service (managed certificates, API.md section 4):
 * RequestCertificate, DescribeCertificate, ListCertificates,
 * GetCertificate, ExportCertificate, ImportCertificate, DeleteCertificate,
 * RenewCertificate, tags, the account configuration and
 * UpdateCertificateOptions.
 *
 * Only private certificates are requested here (a CertificateAuthorityArn
 * is required): the service makes the key pair and CSR and has the CA
 * issue through acm-pca's own IssueCertificate and GetCertificate, run as
 * the caller (acm_pca_issue()), so the CA side is authorized exactly as a
 * direct acm-pca request. An acm-pca AccessDenied fails the request; any
 * other refusal leaves a FAILED certificate with the FailureReason AWS
 * names (PCA_INVALID_STATE, ...), as AWS's asynchronous issue does.
 *
 * Keys exist in plaintext only inside one request: generated, sealed
 * under a data key the token wraps, freed; opened again only by
 * ExportCertificate, which hands them out under the caller's passphrase.
 */
#include "acm_keys.h"
#include "acm_renew.h"
#include "acm_util.h"
#include "acmpca.h"
#include "arn.h"
#include "authz.h"
#include "clock.h"
#include "iam.pb-c.h"
#include "log.h"
#include "ops.h"
#include "store_acm.h"
#include "store_iam.h"
#include "tags.h"
#include "wipe.h"
#include "x509util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CERT_ARN		"certificate_arn"
#define IDEMPOTENCY_WINDOW_ACM	3600	/* RequestCertificate: one hour */
#define LIST_PAGE_MAX		1000
#define LIST_SCAN_BATCHES	16	/* store reads one page may cost */
#define LIST_SORT_MAX		100000
#define SANS_MAX		100

/* ---- input checks ------------------------------------------------------------ */

/* One DNS label of 1..63 (the last one 2..63) letters, digits and hyphens,
 * not starting or ending with a hyphen. */
static int
label_ok(const char *s, size_t n, size_t min)
{
	if (n < min || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* The model's DomainName pattern: (\*\.)?(label\.)+label, 1..253. */
static int
domain_valid(const char *d)
{
	size_t len = d != NULL ? strlen(d) : 0, nlabels = 0;
	const char *p, *dot;

	if (len < 1 || len > 253)
		return 0;
	if (strncmp(d, "*.", 2) == 0)
		d += 2;
	for (p = d; (dot = strchr(p, '.')) != NULL; p = dot + 1, nlabels++)
		if (!label_ok(p, (size_t)(dot - p), 1))
			return 0;
	return nlabels >= 1 && label_ok(p, strlen(p), 2);
}

/* \w+ */
static int
token_valid(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* ACM's tags are acm-pca's Tag shape; check them with the same rules. */
static int
tags_check(struct op_ctx *ctx, Pca__Api__Acm__Tag *const *tags, size_t n, int need_value,
    struct store_tag **out, size_t *nout)
{
	Pca__Api__AcmPca__Tag *tmp = NULL, **ptrs = NULL;
	int r;

	*out = NULL;
	*nout = 0;
	if (n == 0)
		return 0;
	if (n > ACM_MAX_TAGS)
		return op_fail(ctx, EXC_TOO_MANY_TAGS, "At most %d tags are allowed.",
		    ACM_MAX_TAGS);
	if ((tmp = calloc(n, sizeof(*tmp))) == NULL || (ptrs = calloc(n, sizeof(*ptrs))) == NULL) {
		free(tmp);
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		pca__api__acm_pca__tag__init(&tmp[i]);
		tmp[i].key = tags[i]->key;
		tmp[i].value = tags[i]->value;
		ptrs[i] = &tmp[i];
	}
	r = tags_from_shapes(ctx, (const Pca__Api__AcmPca__Tag *const *)ptrs, n, need_value, out,
	    nout);
	free(ptrs);
	free(tmp);
	return r;
}

/* A key that could not be sealed or opened: the signer away is worth a
 * retry; anything else is ours (logged, never detailed to the client). */
static int
fail_keys(struct op_ctx *ctx, int r, const char *arn, const char *why)
{
	if (r == PCA_ERR_UNAVAILABLE || r == PCA_ERR_TIMEOUT || r == PCA_ERR_TRANSPORT ||
	    r == PCA_ERR_TOKEN_RETRY)
		return op_fail(ctx, EXC_SERVICE_UNAVAILABLE, "The key service is unavailable; "
		    "retry the request later.");
	log_error_fr(r, "certificate %s: private key: %s", arn, why);
	return op_fail(ctx, EXC_INTERNAL, "The certificate's private key could not be "
	    "processed.");
}

static int
empty_out(struct op_ctx *ctx, ProtobufCMessage **out)
{
	if ((*out = msg_new(&pca__api__acm__empty__descriptor)) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	return 0;
}

/* Add s to v (n entries, room for cap) unless present. */
static void
names_add(const char **v, size_t *n, size_t cap, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i], s) == 0)
			return;
	if (*n < cap)
		v[(*n)++] = s;
}

/* ---- RequestCertificate ---------------------------------------------------------- */

/*
 * The key family of the requested certificate must be the CA's (AWS:
 * "the signing algorithm family must match the CA's"). The CA's key is
 * not the caller's to learn unless it may issue from the CA: only then
 * does the mismatch get its own error; otherwise the answer is the
 * AccessDenied acm-pca would give.
 */
static int
check_key_family(struct op_ctx *ctx, const char *ca_arn, int key_algorithm)
{
	struct authz_request az;
	struct arn a;
	char why[512], ca_id[37];
	int64_t ca_not_after;
	int ca_ec, cert_ec, r;

	if (acm_ca_peek(ctx->fe, ca_arn, &ca_ec, &ca_not_after) != 0)
		return 0;	/* acm-pca will say what is wrong */
	cert_ec = key_algorithm == ACM_KEY(EC_prime256v1) ||
	    key_algorithm == ACM_KEY(EC_secp384r1) || key_algorithm == ACM_KEY(EC_secp521r1);
	if (cert_ec == ca_ec)
		return 0;
	if (arn_parse_ca(ca_arn, &a, ca_id) != 0)
		return 0;
	memset(&az, 0, sizeof(az));
	az.caller = ctx->caller;
	az.action = "acm-pca:IssueCertificate";
	az.resource = ca_arn;
	az.resource_account = a.account;
	az.template_arn = ACM_TEMPLATE_ARN;
	if ((r = authorize(ctx->fe, &az, why, sizeof(why))) != 0)
		return op_fail(ctx, r == PCA_ERR_AUTH ? EXC_ACCESS_DENIED : EXC_INTERNAL, "%s",
		    why);
	return op_fail(ctx, EXC_ACM_INVALID_PARAMETER, "KeyAlgorithm %s does not match the "
	    "certificate authority's %s key: the signing algorithm family of a private "
	    "certificate must be its CA's.", acm_key_algorithm_name(key_algorithm),
	    ca_ec ? "ECDSA" : "RSA");
}

/*
 * A CA of another account renews through the requester account's
 * service-linked role: create it now if it is missing and the requester
 * may (iam:CreateServiceLinkedRole, through IAM's own handler). If not,
 * the request still succeeds and renewals fail with SLR_NOT_FOUND until
 * someone of the account creates the role.
 */
static void
ensure_slr(struct op_ctx *ctx)
{
	Pca__Api__Iam__CreateServiceLinkedRoleRequest req =
	    PCA__API__IAM__CREATE_SERVICE_LINKED_ROLE_REQUEST__INIT;
	struct store_iam_role role;
	struct op_ctx sub;
	ProtobufCMessage *out = NULL;
	int r;

	r = store_iam_role_get(ctx->fe->store, ctx->caller->account_id, ACM_SLR_NAME, &role);
	store_iam_role_clear(&role);
	if (r == 0)
		return;
	if (r != PCA_ERR_NOT_FOUND) {
		log_error_fr(r, "account %s: service-linked role", ctx->caller->account_id);
		return;
	}
	req.awsservicename = (char *)ACM_PRINCIPAL;
	acm_sub_ctx(&sub, ctx->w, ctx->caller);
	if (acm_call(&sub, "iam", "CreateServiceLinkedRole", &req.base, &out) == 0)
		log_info("account %s: service-linked role %s created for %s",
		    ctx->caller->account_id, ACM_SLR_NAME, ctx->caller->arn);
	else
		log_info("account %s: service-linked role %s not created (%s: %s); renewals "
		    "from other accounts' CAs will fail with SLR_NOT_FOUND",
		    ctx->caller->account_id, ACM_SLR_NAME, api_exc_name(sub.exc), sub.msg);
	if (out != NULL)
		protobuf_c_message_free_unpacked(out, NULL);
}

static int
acm_request_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Acm__RequestCertificateRequest *in = (const void *)in_;
	Pca__Api__Acm__RequestCertificateResponse *out;
	const char *names[SANS_MAX + 1], *alg;
	struct store_acm_cert c;
	struct store_tag *tags = NULL;
	struct op_ctx sub;
	struct arn ca;
	EVP_PKEY *key = NULL;
	char id[STORE_ACM_ID_LEN + 1], arn[ARN_MAX + 1], ca_id[37], why[512], scope[64];
	char *cert_pem = NULL, *chain_pem = NULL, *existing = NULL;
	size_t nnames = 0, ntags = 0;
	int64_t now = clock_now();
	int key_alg = in->has_key_algorithm ? (int)in->key_algorithm : ACM_KEY(RSA_2048);
	int r, rc = -1;

	memset(&c, 0, sizeof(c));
	/* what the request asks for */
	if (in->certificate_authority_arn == NULL)
		return op_fail(ctx, EXC_ACM_INVALID_PARAMETER, "This service issues private "
		    "certificates only: CertificateAuthorityArn is required.");
	if (arn_parse_ca(in->certificate_authority_arn, &ca, ca_id) != 0)
		return op_fail(ctx, EXC_INVALID_ARN, "The certificate authority ARN %.200s is "
		    "not valid.", in->certificate_authority_arn);
	if (!domain_valid(in->domain_name))
		return op_fail(ctx, EXC_VALIDATION, "1 validation error detected: Value '%.253s' "
		    "at 'domainName' failed to satisfy constraint: Member must satisfy regular "
		    "expression pattern: (\\*\\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\\.)+"
		    "((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])", in->domain_name);
	if (in->n_subject_alternative_names > SANS_MAX)
		return op_fail(ctx, EXC_VALIDATION, "At most %d SubjectAlternativeNames are "
		    "allowed.", SANS_MAX);
	names_add(names, &nnames, SANS_MAX + 1, in->domain_name);
	for (size_t i = 0; i < in->n_subject_alternative_names; i++) {
		if (!domain_valid(in->subject_alternative_names[i]))
			return op_fail(ctx, EXC_VALIDATION, "SubjectAlternativeName '%.253s' is "
			    "not a valid domain name.", in->subject_alternative_names[i]);
		names_add(names, &nnames, SANS_MAX + 1, in->subject_alternative_names[i]);
	}
	if (nnames > SANS_MAX)
		return op_fail(ctx, EXC_LIMIT_EXCEEDED, "A certificate can have at most %d "
		    "domain names.", SANS_MAX);
	/* AWS takes RSA_2048, EC_prime256v1 and EC_secp384r1; RSA_3072 and
	 * RSA_4096 too here, for CAs whose policy asks for longer RSA keys */
	if (key_alg != ACM_KEY(RSA_2048) && key_alg != ACM_KEY(RSA_3072) &&
	    key_alg != ACM_KEY(RSA_4096) && key_alg != ACM_KEY(EC_prime256v1) &&
	    key_alg != ACM_KEY(EC_secp384r1))
		return op_fail(ctx, EXC_ACM_INVALID_PARAMETER, "KeyAlgorithm %s cannot be "
		    "requested; use RSA_2048, RSA_3072, RSA_4096, EC_prime256v1 or EC_secp384r1.",
		    acm_key_algorithm_name(key_alg) != NULL ? acm_key_algorithm_name(key_alg) :
		    "?");
	if (in->idempotency_token != NULL && !token_valid(in->idempotency_token))
		return op_fail(ctx, EXC_VALIDATION, "IdempotencyToken must match \\w+.");
	for (size_t i = 0; i < in->n_domain_validation_options; i++) {
		size_t j;

		for (j = 0; j < nnames; j++)
			if (strcmp(names[j], in->domain_validation_options[i]->domain_name) == 0)
				break;
		if (j == nnames)
			return op_fail(ctx, EXC_ACM_INVALID_DOMAIN_VALIDATION_OPTIONS,
			    "DomainValidationOptions names %.253s, which the request does not.",
			    in->domain_validation_options[i]->domain_name);
	}
	if (in->has_managed_by)
		return op_fail(ctx, EXC_ACM_INVALID_PARAMETER, "ManagedBy is not supported: "
		    "no other service manages certificates here.");
	if (in->options != NULL && in->options->has_export &&
	    in->options->export != PCA__API__ACM__CERTIFICATE_EXPORT__CertificateExport_ENABLED)
		return op_fail(ctx, EXC_ACM_INVALID_PARAMETER, "Private certificates are always "
		    "exportable: Export must be ENABLED.");
	if (tags_check(ctx, in->tags, in->n_tags, 1, &tags, &ntags) != 0)
		return -1;
	if (check_key_family(ctx, in->certificate_authority_arn, key_alg) != 0)
		goto out;

	/* the key pair, the CSR, and the CA's certificate, as the caller */
	if (uuid_generate(id) != 0) {
		rc = op_fail(ctx, EXC_INTERNAL, "no random numbers");
		goto out;
	}
	acm_arn_format(arn, sizeof(arn), ctx->fe->cfg.region, ctx->caller->account_id, id);
	alg = acm_key_algorithm_name(key_alg);
	if (acm_key_generate(alg, &key) != 0) {
		rc = op_fail(ctx, EXC_INTERNAL, "the key pair could not be generated");
		goto out;
	}
	acm_sub_ctx(&sub, ctx->w, ctx->caller);
	r = acm_pca_issue(&sub, in->certificate_authority_arn, key, in->domain_name,
	    names + 1, nnames - 1, 0, NULL, &cert_pem, &chain_pem);
	if (r != 0 && (sub.exc == EXC_ACCESS_DENIED || sub.exc == EXC_ACM_INVALID_PARAMETER ||
	    acm_exc_transient(sub.exc))) {
		/* the caller may not use the CA, or try again later */
		rc = op_fail(ctx, sub.exc, "%s", sub.msg);
		goto out;
	}

	memcpy(c.id, id, sizeof(c.id));
	snprintf(c.account_id, sizeof(c.account_id), "%s", ctx->caller->account_id);
	c.arn = arn;
	c.domain_name = in->domain_name;
	c.sans = (char **)names;
	c.nsans = nnames;
	c.ca_arn = in->certificate_authority_arn;
	c.type = ACM_TYPE(PRIVATE);
	c.key_algorithm = key_alg;
	c.requested_by = (char *)ctx->caller->arn;
	c.created_at = now;
	if (r != 0) {
		/* issued nothing: FAILED with AWS's reason, as AWS shows it */
		c.status = ACM_STATUS(FAILED);
		c.renewal_reason = acm_failure_reason(ctx->fe, in->certificate_authority_arn,
		    sub.exc);
		log_info("certificate %s for %s: FAILED (%s): %s: %s", arn, ctx->caller->arn,
		    enum_wire(&pca__api__acm__failure_reason__descriptor, c.renewal_reason),
		    api_exc_name(sub.exc), sub.msg);
	} else {
		r = acm_cert_set_issued(&c, cert_pem, chain_pem);
		cert_pem = chain_pem = NULL;
		if (r != 0) {
			rc = op_fail(ctx, EXC_INTERNAL, "the issued certificate does not parse");
			goto out;
		}
		if ((r = acm_key_protect(ctx->w, key, &c, why, sizeof(why))) != 0) {
			rc = fail_keys(ctx, r, arn, why);
			goto out;
		}
		c.status = ACM_STATUS(ISSUED);
		c.issued_at = now;
		log_info("certificate %s (%s, %s) issued by %s for %s", arn, in->domain_name,
		    alg, in->certificate_authority_arn, ctx->caller->arn);
	}
	EVP_PKEY_free(key);
	key = NULL;
	if ((r = store_acm_cert_insert(ctx->fe->store, &c)) != 0) {
		rc = fail_store(ctx, r, "certificate");
		goto out;
	}
	if (ntags > 0 && (r = store_acm_tags_put(ctx->fe->store, id, tags, ntags,
	    ACM_MAX_TAGS)) != 0)
		log_error_fr(r, "certificate %s: tags not stored", arn);
	if (strcmp(ca.account, ctx->caller->account_id) != 0)
		ensure_slr(ctx);
	/* the same token within the hour answers the first certificate (this
	 * one, issued meanwhile, goes: the CA keeps its record of it) */
	if (in->idempotency_token != NULL) {
		snprintf(scope, sizeof(scope), "acm:RequestCertificate:%s", ctx->caller->account_id);
		r = store_idem_claim(ctx->fe->store, scope, in->idempotency_token, arn, now,
		    IDEMPOTENCY_WINDOW_ACM, &existing);
		if (r == PCA_ERR_EXISTS && existing != NULL) {
			if (store_acm_cert_delete(ctx->fe->store, id) != 0)
				log_error("certificate %s: duplicate of %s not deleted", arn,
				    existing);
			snprintf(arn, sizeof(arn), "%s", existing);
		} else if (r != 0) {
			log_error_fr(r, "certificate %s: idempotency token not recorded", arn);
		}
	}
	if ((out = (void *)msg_new(&pca__api__acm__request_certificate_response__descriptor)) ==
	    NULL || (out->certificate_arn = strdup(arn)) == NULL) {
		if (out != NULL)
			protobuf_c_message_free_unpacked(&out->base, NULL);
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	rc = 0;
 out:
	/* c borrowed arn, names and the request's strings: free only what
	 * acm_cert_set_issued() and acm_key_protect() allocated */
	free(c.cert_pem);
	free(c.chain_pem);
	free(c.serial);
	free(c.subject);
	free(c.issuer);
	free(c.signature_algorithm);
	free(c.key_ciphertext);
	free(c.wrapped_data_key);
	free(cert_pem);
	free(chain_pem);
	free(existing);
	EVP_PKEY_free(key);
	tags_free(tags, ntags);
	return rc;
}

/* ---- DescribeCertificate, GetCertificate ------------------------------------------ */

static int
acm_describe_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Acm__DescribeCertificateRequest *in = (const void *)in_;
	Pca__Api__Acm__DescribeCertificateResponse *out;
	struct store_acm_cert c;
	int rc = -1;

	if (acm_cert_load(ctx, in->certificate_arn, &c) != 0)
		return -1;
	if ((out = (void *)msg_new(&pca__api__acm__describe_certificate_response__descriptor)) ==
	    NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	if ((out->certificate = acm_detail_shape(&c, clock_now())) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_acm_cert_clear(&c);
	return rc;
}

/* A certificate that has no issued certificate to hand out fails the
 * request (RequestInProgress while it is being issued). */
static int
check_issued(struct op_ctx *ctx, const struct store_acm_cert *c)
{
	if (c->status == ACM_STATUS(PENDING_VALIDATION))
		return op_fail(ctx, EXC_REQUEST_IN_PROGRESS, "Certificate %.200s is not issued "
		    "yet.", c->arn);
	if (c->cert_pem == NULL || (c->status != ACM_STATUS(ISSUED) &&
	    c->status != ACM_STATUS(EXPIRED)))
		return op_fail(ctx, EXC_INVALID_STATE, "Certificate %.200s has status %s: there "
		    "is no certificate to return.", c->arn,
		    enum_wire(&pca__api__acm__certificate_status__descriptor, c->status));
	return 0;
}

static int
acm_get_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Acm__GetCertificateRequest *in = (const void *)in_;
	Pca__Api__Acm__GetCertificateResponse *out;
	struct store_acm_cert c;
	int rc = -1;

	if (acm_cert_load(ctx, in->certificate_arn, &c) != 0)
		return -1;
	if (check_issued(ctx, &c) != 0)
		goto out;
	if ((out = (void *)msg_new(&pca__api__acm__get_certificate_response__descriptor)) ==
	    NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	out->certificate = c.cert_pem;
	out->certificate_chain = c.chain_pem;
	c.cert_pem = c.chain_pem = NULL;
	rc = 0;
 out:
	store_acm_cert_clear(&c);
	return rc;
}

/* ---- ListCertificates ---------------------------------------------------------------- */

struct list_filter {
	const int	*statuses;	/* CertificateStatus wanted, as clients see them */
	size_t		 nstatuses;
	const Pca__Api__Acm__Filters *inc;
	int64_t		 now;
};

static int
int_in(int v, const int *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == v)
			return 1;
	return 0;
}

/* The filters the store cannot apply: the status clients see (EXPIRED is
 * computed), key usages and export options. */
static int
list_match(const struct list_filter *f, const struct store_acm_cert *c, X509 *x)
{
	const Pca__Api__Acm__Filters *inc = f->inc;
	struct acm_usages u;
	int hit;

	if (f->nstatuses > 0 && !int_in(acm_cert_status(c, f->now), f->statuses, f->nstatuses))
		return 0;
	if (inc == NULL)
		return 1;
	if (inc->has_managedby)
		return 0;	/* nothing here is managed by another service */
	if (inc->has_exportoption &&
	    inc->exportoption != PCA__API__ACM__CERTIFICATE_EXPORT__CertificateExport_ENABLED)
		return 0;
	if (inc->n_keyusage == 0 && inc->n_extendedkeyusage == 0)
		return 1;
	memset(&u, 0, sizeof(u));
	if (x != NULL)
		acm_cert_usages(x, &u);
	if (inc->n_keyusage > 0) {
		hit = 0;
		for (size_t i = 0; i < inc->n_keyusage && !hit; i++)
			hit = inc->keyusage[i] == PCA__API__ACM__KEY_USAGE_NAME__KeyUsageName_ANY ?
			    u.nku > 0 : int_in((int)inc->keyusage[i], u.ku, u.nku);
		if (!hit)
			return 0;
	}
	if (inc->n_extendedkeyusage > 0) {
		hit = 0;
		for (size_t i = 0; i < inc->n_extendedkeyusage && !hit; i++) {
			int e = (int)inc->extendedkeyusage[i];

			if (e == PCA__API__ACM__EXTENDED_KEY_USAGE_NAME__ExtendedKeyUsageName_NONE)
				hit = !u.has_eku;
			else if (e == PCA__API__ACM__EXTENDED_KEY_USAGE_NAME__ExtendedKeyUsageName_ANY)
				hit = u.neku > 0;
			else
				hit = int_in(e, u.eku, u.neku);
		}
		if (!hit)
			return 0;
	}
	return 1;
}

/* Append a summary of c to out; -1 with ctx set when out of memory. */
static int
list_add(struct op_ctx *ctx, Pca__Api__Acm__ListCertificatesResponse *out,
    const struct store_acm_cert *c, X509 *x, int64_t now)
{
	Pca__Api__Acm__CertificateSummary *s;

	if ((s = acm_summary_shape(c, x, now)) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	out->certificate_summary_list[out->n_certificate_summary_list++] = s;
	return 0;
}

static int
created_cmp(const void *a_, const void *b_)
{
	const struct store_acm_cert *a = a_, *b = b_;

	if (a->created_at != b->created_at)
		return a->created_at < b->created_at ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* Every certificate of the account the store's filters let through, for a
 * sorted listing (*all: store_acm_cert_list_free()). */
static int
list_all(struct op_ctx *ctx, const int *st, size_t nst, const int *kt, size_t nkt,
    struct store_acm_cert **all, size_t *nall)
{
	struct store_acm_cert *page = NULL, *v;
	char after[STORE_ACM_ID_LEN + 1] = "";
	size_t n = 0;
	int r;

	*all = NULL;
	*nall = 0;
	do {
		r = store_acm_cert_list(ctx->fe->store, ctx->caller->account_id, st, nst, kt, nkt,
		    after[0] != '\0' ? after : NULL, LIST_PAGE_MAX, &page, &n);
		if (r != 0)
			return fail_store(ctx, r, "certificates");
		if (n == 0)
			break;
		if (*nall + n > LIST_SORT_MAX) {
			store_acm_cert_list_free(page, n);
			return op_fail(ctx, EXC_LIMIT_EXCEEDED, "Sorting is limited to %d "
			    "certificates; list without SortBy.", LIST_SORT_MAX);
		}
		if ((v = realloc(*all, (*nall + n) * sizeof(*v))) == NULL) {
			store_acm_cert_list_free(page, n);
			return op_fail(ctx, EXC_INTERNAL, "out of memory");
		}
		*all = v;
		/* the rows move: free only the page array */
		memcpy(*all + *nall, page, n * sizeof(*page));
		*nall += n;
		snprintf(after, sizeof(after), "%s", page[n - 1].id);
		free(page);
		page = NULL;
	} while (n == LIST_PAGE_MAX);
	return 0;
}

static int
acm_list_certificates(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Acm__ListCertificatesRequest *in = (const void *)in_;
	Pca__Api__Acm__ListCertificatesResponse *out;
	static const int default_keys[] = { ACM_KEY(RSA_1024), ACM_KEY(RSA_2048) };
	struct store_acm_cert *rows = NULL;
	struct list_filter f;
	int st[16], kt[16], want[8];
	size_t nst = 0, nkt = 0, nrows = 0, limit = LIST_PAGE_MAX, offset = 0;
	char after[STORE_ACM_ID_LEN + 1] = "", last[STORE_ACM_ID_LEN + 1] = "", tok[32];
	int64_t now = clock_now();
	int sorted, more = 0, r, rc = -1;

	memset(&f, 0, sizeof(f));
	if (in->has_sort_by != in->has_sort_order)
		return op_fail(ctx, EXC_VALIDATION, "SortBy and SortOrder must be given "
		    "together.");
	sorted = in->has_sort_by;
	if (in->has_max_items) {
		if (in->max_items < 1 || in->max_items > LIST_PAGE_MAX)
			return op_fail(ctx, EXC_VALIDATION, "MaxItems must be 1..%d.",
			    LIST_PAGE_MAX);
		limit = (size_t)in->max_items;
	}
	/* NextToken: the last id of the page before, or "s<offset>" in a sorted
	 * listing */
	if (in->next_token != NULL && sorted) {
		const char *t = in->next_token;
		char *end;

		if (t[0] != 's' || t[1] < '0' || t[1] > '9' ||
		    (offset = strtoul(t + 1, &end, 10)) > LIST_SORT_MAX || *end != '\0')
			return op_fail(ctx, EXC_INVALID_ARGS, "The NextToken is not valid.");
	} else if (in->next_token != NULL) {
		if (!uuid_valid(in->next_token))
			return op_fail(ctx, EXC_INVALID_ARGS, "The NextToken is not valid.");
		snprintf(after, sizeof(after), "%s", in->next_token);
	}
	/* the store filters on the stored status (EXPIRED is ISSUED there) and
	 * the key type; only RSA_1024 and RSA_2048 unless Includes names more */
	if (in->n_certificate_statuses > 8)
		return op_fail(ctx, EXC_VALIDATION, "Too many CertificateStatuses.");
	for (size_t i = 0; i < in->n_certificate_statuses; i++) {
		st[nst++] = (int)in->certificate_statuses[i];
		if (in->certificate_statuses[i] == ACM_STATUS(EXPIRED))
			st[nst++] = ACM_STATUS(ISSUED);
	}
	if (in->includes != NULL && in->includes->n_keytypes > 0) {
		if (in->includes->n_keytypes > 16)
			return op_fail(ctx, EXC_VALIDATION, "Too many keyTypes.");
		for (size_t i = 0; i < in->includes->n_keytypes; i++)
			kt[nkt++] = (int)in->includes->keytypes[i];
	} else {
		memcpy(kt, default_keys, sizeof(default_keys));
		nkt = sizeof(default_keys) / sizeof(default_keys[0]);
	}
	for (size_t i = 0; i < in->n_certificate_statuses; i++)
		want[i] = (int)in->certificate_statuses[i];
	f.statuses = want;
	f.nstatuses = in->n_certificate_statuses;
	f.inc = in->includes;
	f.now = now;

	if ((out = (void *)msg_new(&pca__api__acm__list_certificates_response__descriptor)) ==
	    NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	*out_ = &out->base;
	if ((out->certificate_summary_list = calloc(limit, sizeof(void *))) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");

	if (sorted) {
		size_t nmatch = 0;

		if (list_all(ctx, nst > 0 ? st : NULL, nst, kt, nkt, &rows, &nrows) != 0)
			goto out;
		if (nrows > 1)
			qsort(rows, nrows, sizeof(*rows), created_cmp);
		if (in->sort_order == PCA__API__ACM__SORT_ORDER__SortOrder_DESCENDING)
			for (size_t i = 0; i < nrows / 2; i++) {
				struct store_acm_cert t = rows[i];

				rows[i] = rows[nrows - 1 - i];
				rows[nrows - 1 - i] = t;
			}
		for (size_t i = 0; i < nrows && !more; i++) {
			X509 *x = acm_cert_pem_parse(rows[i].cert_pem);

			r = 0;
			if (list_match(&f, &rows[i], x) && nmatch++ >= offset) {
				if (out->n_certificate_summary_list < limit)
					r = list_add(ctx, out, &rows[i], x, now);
				else
					more = 1;
			}
			X509_free(x);
			if (r != 0)
				goto out;
		}
		if (more) {
			snprintf(tok, sizeof(tok), "s%zu", offset + limit);
			if ((out->next_token = strdup(tok)) == NULL) {
				rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
				goto out;
			}
		}
		rc = 0;
		goto out;
	}

	/* by id from the token: pages of the store until this one is full */
	for (int b = 0; b < LIST_SCAN_BATCHES; b++) {
		size_t i;

		r = store_acm_cert_list(ctx->fe->store, ctx->caller->account_id,
		    nst > 0 ? st : NULL, nst, kt, nkt, after[0] != '\0' ? after : NULL, limit,
		    &rows, &nrows);
		if (r != 0) {
			rc = fail_store(ctx, r, "certificates");
			goto out;
		}
		for (i = 0; i < nrows && out->n_certificate_summary_list < limit; i++) {
			X509 *x = acm_cert_pem_parse(rows[i].cert_pem);

			r = list_match(&f, &rows[i], x) ? list_add(ctx, out, &rows[i], x, now) : 0;
			X509_free(x);
			if (r != 0)
				goto out;
			snprintf(last, sizeof(last), "%s", rows[i].id);
		}
		/* more when this page stopped early or the store had a full one */
		more = i < nrows || nrows == limit;
		store_acm_cert_list_free(rows, nrows);
		rows = NULL;
		nrows = 0;
		if (!more || out->n_certificate_summary_list == limit)
			break;
		snprintf(after, sizeof(after), "%s", last);
	}
	if (more && last[0] != '\0' && (out->next_token = strdup(last)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_acm_cert_list_free(rows, nrows);
	return rc;
}

/* ---- ExportCertificate --------------------------------------------------------------- */

/* ACM: 4..128 bytes of printable ASCII other than #, $ and %. */
static int
passphrase_valid(const ProtobufCBinaryData *p)
{
	if (p->len < ACM_PASSPHRASE_MIN || p->len > ACM_PASSPHRASE_MAX)
		return 0;
	for (size_t i = 0; i < p->len; i++)
		if (p->data[i] < 0x20 || p->data[i] > 0x7e || p->data[i] == '#' ||
		    p->data[i] == '$' || p->data[i] == '%')
			return 0;
	return 1;
}

/*
 * Record the export (exported_since_issue: the certificate becomes
 * eligible for renewal). c was read by this request; after a concurrent
 * change (a renewal claiming it) the flag is set on a fresh copy, so that
 * change is kept. PCA_ERR_STATE when the certificate was renewed meanwhile:
 * what was exported is not current any more.
 */
static int
mark_exported(struct op_ctx *ctx, struct store_acm_cert *c)
{
	struct store_acm_cert cur;
	int r;

	if (c->exported_since_issue)
		return 0;
	c->exported_since_issue = 1;
	if ((r = store_acm_cert_update(ctx->fe->store, c)) != PCA_ERR_STATE)
		return r;
	for (int i = 0; i < 3; i++) {
		if ((r = store_acm_cert_get(ctx->fe->store, c->id, &cur)) != 0)
			return r;
		if (cur.serial == NULL || c->serial == NULL || strcmp(cur.serial, c->serial) != 0)
			r = PCA_ERR_STATE;
		else if (cur.exported_since_issue)
			r = 0;
		else {
			cur.exported_since_issue = 1;
			r = store_acm_cert_update(ctx->fe->store, &cur);
			if (r == PCA_ERR_STATE) {
				store_acm_cert_clear(&cur);
				continue;
			}
		}
		store_acm_cert_clear(&cur);
		return r;
	}
	return PCA_ERR_STATE;
}

static int
acm_export_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Acm__ExportCertificateRequest *in = (const void *)in_;
	Pca__Api__Acm__ExportCertificateResponse *out;
	struct store_acm_cert c;
	EVP_PKEY *key = NULL;
	char *pem = NULL, why[256];
	int r, rc = -1;

	if (acm_cert_load(ctx, in->certificate_arn, &c) != 0)
		return -1;
	if (!passphrase_valid(&in->passphrase)) {
		rc = op_fail(ctx, EXC_VALIDATION, "1 validation error detected: Value at "
		    "'passphrase' failed to satisfy constraint: Member must have length between "
		    "%d and %d bytes of printable ASCII other than #, $ and %%.",
		    ACM_PASSPHRASE_MIN, ACM_PASSPHRASE_MAX);
		goto out;
	}
	if (c.type != ACM_TYPE(IMPORTED) && !(c.type == ACM_TYPE(PRIVATE) && c.ca_arn != NULL)) {
		rc = op_fail(ctx, EXC_VALIDATION, "Only private and imported certificates can be "
		    "exported.");
		goto out;
	}
	if (check_issued(ctx, &c) != 0)
		goto out;
	if ((r = acm_key_unprotect(ctx->w, &c, &key, why, sizeof(why))) != 0) {
		rc = fail_keys(ctx, r, c.arn, why);
		goto out;
	}
	r = acm_key_export(key, in->passphrase.data, in->passphrase.len, &pem);
	EVP_PKEY_free(key);
	key = NULL;
	if (r != 0) {
		rc = op_fail(ctx, EXC_INTERNAL, "The key could not be exported.");
		goto out;
	}
	if ((r = mark_exported(ctx, &c)) != 0) {
		rc = r == PCA_ERR_STATE ? op_fail(ctx, EXC_REQUEST_IN_PROGRESS, "The certificate "
		    "was renewed during the export; export it again.") :
		    fail_store(ctx, r, "certificate");
		goto out;
	}
	if ((out = (void *)msg_new(&pca__api__acm__export_certificate_response__descriptor)) ==
	    NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	out->certificate = c.cert_pem;
	out->certificate_chain = c.chain_pem;
	c.cert_pem = c.chain_pem = NULL;
	out->private_key = pem;		/* the door wipes the answer (OP_SECRETS) */
	pem = NULL;
	log_info("certificate %s exported by %s", c.arn, ctx->caller->arn);
	rc = 0;
 out:
	str_free_wiped(pem);
	EVP_PKEY_free(key);
	store_acm_cert_clear(&c);
	return rc;
}

/* ---- ImportCertificate --------------------------------------------------------------- */

/* The chain as PEM certificates, re-encoded; NULL input is no chain. */
static int
chain_pem_of(struct op_ctx *ctx, const ProtobufCBinaryData *b, char **out)
{
	STACK_OF(X509) *chain = NULL;
	uint8_t *der = NULL;
	size_t len, total = 0;
	char *pem = NULL, *s = NULL, *v;
	int rc = -1;

	*out = NULL;
	if (b->data == NULL || b->len == 0)
		return 0;
	if (x509_chain_parse(b->data, b->len, &chain) != 0)
		return op_fail(ctx, EXC_VALIDATION, "The certificate chain is not a sequence of "
		    "PEM certificates.");
	for (int i = 0; i < sk_X509_num(chain); i++) {
		if (x509_cert_to_der(sk_X509_value(chain, i), &der, &len) != 0 ||
		    x509_cert_der_to_pem(der, len, &pem) != 0)
			goto nomem;
		if ((v = realloc(s, total + strlen(pem) + 1)) == NULL)
			goto nomem;
		s = v;
		memcpy(s + total, pem, strlen(pem) + 1);
		total += strlen(pem);
		free(der);
		free(pem);
		der = NULL;
		pem = NULL;
	}
	*out = s;
	s = NULL;
	rc = 0;
	goto out;
 nomem:
	rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
 out:
	free(der);
	free(pem);
	free(s);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

/* Check an imported certificate and key and fill c's certificate fields.
 * *key gets the private key. */
static int
import_parse(struct op_ctx *ctx, const Pca__Api__Acm__ImportCertificateRequest *in,
    struct store_acm_cert *c, EVP_PKEY **key)
{
	struct acm_cert_info info;
	X509 *x = NULL;
	uint8_t *der = NULL;
	size_t len;
	char *pem = NULL, *chain = NULL;
	int64_t now = clock_now();
	int r, rc = -1;

	*key = NULL;
	memset(&info, 0, sizeof(info));
	if (x509_cert_parse(in->certificate.data, in->certificate.len, &x) != 0)
		return op_fail(ctx, EXC_VALIDATION, "The certificate is not a PEM X.509 "
		    "certificate.");
	if ((r = acm_cert_info_get(x, &info)) != 0) {
		rc = r == PCA_ERR_NOMEM ? op_fail(ctx, EXC_INTERNAL, "out of memory") :
		    op_fail(ctx, EXC_VALIDATION, "The certificate cannot be imported: its serial "
		    "number or validity is not valid.");
		goto out;
	}
	if (now < info.not_before || now >= info.not_after) {
		rc = op_fail(ctx, EXC_VALIDATION, "The certificate is not valid now (NotBefore "
		    "%lld, NotAfter %lld).", (long long)info.not_before,
		    (long long)info.not_after);
		goto out;
	}
	if (info.issuer == NULL || info.issuer[0] == '\0') {
		rc = op_fail(ctx, EXC_VALIDATION, "The certificate has an empty issuer.");
		goto out;
	}
	if (info.key_algorithm == 0) {
		rc = op_fail(ctx, EXC_VALIDATION, "The certificate's key is not of a supported "
		    "algorithm (RSA 1024..4096, EC P-256, P-384, P-521).");
		goto out;
	}
	if (info.domain_name == NULL || strlen(info.domain_name) > 253) {
		rc = op_fail(ctx, EXC_VALIDATION, "The certificate names no domain (no common "
		    "name and no DNS subjectAltName).");
		goto out;
	}
	if (acm_key_import(in->private_key.data, in->private_key.len, X509_get0_pubkey(x),
	    key) != 0) {
		rc = op_fail(ctx, EXC_VALIDATION, "The private key is not an unencrypted PEM "
		    "key, or it does not match the certificate's public key.");
		goto out;
	}
	if (chain_pem_of(ctx, &in->certificate_chain, &chain) != 0)
		goto out;
	if (x509_cert_to_der(x, &der, &len) != 0 || x509_cert_der_to_pem(der, len, &pem) != 0) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = acm_cert_set_issued(c, pem, chain)) != 0) {
		pem = chain = NULL;
		rc = op_fail(ctx, EXC_INTERNAL, "the certificate could not be read back");
		goto out;
	}
	pem = chain = NULL;
	free(c->domain_name);
	for (size_t i = 0; i < c->nsans; i++)
		free(c->sans[i]);
	free(c->sans);
	c->domain_name = info.domain_name;
	c->sans = info.sans;
	c->nsans = info.nsans;
	info.domain_name = NULL;
	info.sans = NULL;
	info.nsans = 0;
	c->key_algorithm = info.key_algorithm;
	rc = 0;
 out:
	if (rc != 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	acm_cert_info_clear(&info);
	X509_free(x);
	free(der);
	free(pem);
	free(chain);
	return rc;
}

/* The resource of ImportCertificate: the certificate re-imported over, or
 * any new certificate of the caller's account. */
static int
res_import(struct op_ctx *ctx, const ProtobufCMessage *in_, char *buf, size_t len)
{
	const Pca__Api__Acm__ImportCertificateRequest *in = (const void *)in_;
	char id[STORE_ACM_ID_LEN + 1];

	if (in->certificate_arn == NULL) {
		snprintf(buf, len, "arn:aws:acm:%s:%s:certificate/*", ctx->fe->cfg.region,
		    ctx->caller->account_id);
		return 0;
	}
	if (acm_arn_parse(in->certificate_arn, id) != 0 || strlen(in->certificate_arn) >= len)
		return op_fail(ctx, EXC_INVALID_ARN, "The certificate ARN %.200s is not valid.",
		    in->certificate_arn);
	snprintf(buf, len, "%s", in->certificate_arn);
	return 0;
}

static int
acm_import_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Acm__ImportCertificateRequest *in = (const void *)in_;
	Pca__Api__Acm__ImportCertificateResponse *out;
	struct store_acm_cert c;
	struct store_tag *tags = NULL;
	EVP_PKEY *key = NULL;
	char arn[ARN_MAX + 1], why[256];
	size_t ntags = 0;
	int64_t now = clock_now();
	int reimport = in->certificate_arn != NULL, r, rc = -1;

	memset(&c, 0, sizeof(c));
	if (reimport) {
		if (in->n_tags > 0)
			return op_fail(ctx, EXC_ACM_INVALID_PARAMETER, "Tags cannot be given when "
			    "a certificate is re-imported.");
		if (acm_cert_load(ctx, in->certificate_arn, &c) != 0)
			return -1;
		if (c.type != ACM_TYPE(IMPORTED)) {
			rc = op_fail(ctx, EXC_VALIDATION, "Certificate %.200s was not imported: "
			    "only imported certificates can be re-imported.", c.arn);
			goto out;
		}
	} else {
		if (tags_check(ctx, in->tags, in->n_tags, 1, &tags, &ntags) != 0)
			return -1;
		if (uuid_generate(c.id) != 0) {
			rc = op_fail(ctx, EXC_INTERNAL, "no random numbers");
			goto out;
		}
		snprintf(c.account_id, sizeof(c.account_id), "%s", ctx->caller->account_id);
		acm_arn_format(arn, sizeof(arn), ctx->fe->cfg.region, ctx->caller->account_id,
		    c.id);
		if ((c.arn = strdup(arn)) == NULL || (c.requested_by = strdup(ctx->caller->arn)) ==
		    NULL) {
			rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
		c.type = ACM_TYPE(IMPORTED);
		c.created_at = now;
	}
	if (import_parse(ctx, in, &c, &key) != 0)
		goto out;
	if ((r = acm_key_protect(ctx->w, key, &c, why, sizeof(why))) != 0) {
		rc = fail_keys(ctx, r, c.arn, why);
		goto out;
	}
	EVP_PKEY_free(key);
	key = NULL;
	c.status = ACM_STATUS(ISSUED);
	c.imported_at = now;
	c.exported_since_issue = 0;
	if (reimport) {
		r = store_acm_cert_update(ctx->fe->store, &c);
		if (r == PCA_ERR_STATE) {
			rc = op_fail(ctx, EXC_ACM_CONFLICT, "Certificate %.200s changed during the "
			    "re-import; try again.", c.arn);
			goto out;
		}
	} else {
		r = store_acm_cert_insert(ctx->fe->store, &c);
	}
	if (r != 0) {
		rc = fail_store(ctx, r, "certificate");
		goto out;
	}
	if (ntags > 0 && (r = store_acm_tags_put(ctx->fe->store, c.id, tags, ntags,
	    ACM_MAX_TAGS)) != 0)
		log_error_fr(r, "certificate %s: tags not stored", c.arn);
	log_info("certificate %s %simported by %s", c.arn, reimport ? "re-" : "",
	    ctx->caller->arn);
	if ((out = (void *)msg_new(&pca__api__acm__import_certificate_response__descriptor)) ==
	    NULL || (out->certificate_arn = strdup(c.arn)) == NULL) {
		if (out != NULL)
			protobuf_c_message_free_unpacked(&out->base, NULL);
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	rc = 0;
 out:
	EVP_PKEY_free(key);
	tags_free(tags, ntags);
	store_acm_cert_clear(&c);
	return rc;
}

/* ---- DeleteCertificate, RenewCertificate, UpdateCertificateOptions ------------------ */

static int
acm_delete_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Acm__DeleteCertificateRequest *in = (const void *)in_;
	struct store_acm_cert c;
	int r, rc = -1;

	if (acm_cert_load(ctx, in->certificate_arn, &c) != 0)
		return -1;
	/* InUseBy is always empty here: no integrated service holds it */
	if ((r = store_acm_cert_delete(ctx->fe->store, c.id)) != 0) {
		rc = fail_store(ctx, r, "certificate");
		goto out;
	}
	log_info("certificate %s deleted by %s", c.arn, ctx->caller->arn);
	rc = empty_out(ctx, out_);
 out:
	store_acm_cert_clear(&c);
	return rc;
}

static int
acm_renew_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Acm__RenewCertificateRequest *in = (const void *)in_;
	struct store_acm_cert c;
	int64_t now = clock_now();
	int r, reason, rc = -1;

	if (acm_cert_load(ctx, in->certificate_arn, &c) != 0)
		return -1;
	if (c.type != ACM_TYPE(PRIVATE) || c.ca_arn == NULL) {
		rc = op_fail(ctx, EXC_VALIDATION, "Certificate %.200s is not a private "
		    "certificate requested from a private CA: it cannot be renewed.", c.arn);
		goto out;
	}
	if (c.status == ACM_STATUS(PENDING_VALIDATION)) {
		rc = op_fail(ctx, EXC_REQUEST_IN_PROGRESS, "Certificate %.200s is not issued "
		    "yet.", c.arn);
		goto out;
	}
	if (!acm_cert_eligible(&c, now)) {
		if (acm_cert_status(&c, now) != ACM_STATUS(ISSUED))
			rc = op_fail(ctx, EXC_VALIDATION, "Certificate ARN %.200s is %s so it is "
			    "not eligible for the Renew Certificate API.", c.arn,
			    enum_wire(&pca__api__acm__certificate_status__descriptor,
			    acm_cert_status(&c, now)));
		else
			rc = op_fail(ctx, EXC_VALIDATION, "Certificate ARN %.200s has not been "
			    "exported so it is not eligible for the Renew Certificate API.", c.arn);
		goto out;
	}
	r = acm_renew_one(ctx->w, c.id, 1, &reason);
	switch (r) {
	case 0:
		/* renewed, or the failure is in RenewalSummary, as AWS reports it */
		rc = empty_out(ctx, out_);
		break;
	case PCA_ERR_NOT_FOUND:
		rc = op_fail(ctx, EXC_RESOURCE_NOT_FOUND, "Could not find certificate %.200s.",
		    c.arn);
		break;
	case PCA_ERR_INVALID:
		rc = op_fail(ctx, EXC_VALIDATION, "Certificate %.200s is not eligible for "
		    "renewal.", c.arn);
		break;
	case PCA_ERR_STATE:
		rc = op_fail(ctx, EXC_REQUEST_IN_PROGRESS, "A renewal of certificate %.200s is "
		    "in progress.", c.arn);
		break;
	case PCA_ERR_UNAVAILABLE:
		rc = op_fail(ctx, EXC_SERVICE_UNAVAILABLE, "The renewal could not run now; it "
		    "will be retried.");
		break;
	default:
		rc = fail_store(ctx, r, "certificate");
		break;
	}
 out:
	store_acm_cert_clear(&c);
	return rc;
}

/*
 * UpdateCertificateOptions is refused, as AWS refuses it for every kind of
 * certificate this service holds ("not permitted for private / imported
 * certificates", InvalidStateException): their transparency preference
 * means nothing (they are never logged) and Export stays ENABLED. Nothing
 * is stored.
 */
static int
acm_update_certificate_options(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Acm__UpdateCertificateOptionsRequest *in = (const void *)in_;
	struct store_acm_cert c;
	int rc;

	(void)out_;
	if (acm_cert_load(ctx, in->certificate_arn, &c) != 0)
		return -1;
	rc = op_fail(ctx, EXC_INVALID_STATE, "The UpdateCertificateOptions command is not "
	    "permitted for %s certificates.", c.type == ACM_TYPE(IMPORTED) ? "imported" :
	    "private");
	store_acm_cert_clear(&c);
	return rc;
}

/* ---- tags ------------------------------------------------------------------------------ */

static int
acm_add_tags_to_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Acm__AddTagsToCertificateRequest *in = (const void *)in_;
	struct store_acm_cert c;
	struct store_tag *t = NULL;
	size_t n = 0;
	int r, rc = -1;

	if (acm_cert_load(ctx, in->certificate_arn, &c) != 0)
		return -1;
	if (in->n_tags == 0) {
		rc = op_fail(ctx, EXC_VALIDATION, "Tags must name at least one tag.");
		goto out;
	}
	if (tags_check(ctx, in->tags, in->n_tags, 1, &t, &n) != 0)
		goto out;
	r = store_acm_tags_put(ctx->fe->store, c.id, t, n, ACM_MAX_TAGS);
	if (r == PCA_ERR_TOO_LARGE) {
		rc = op_fail(ctx, EXC_TOO_MANY_TAGS, "A certificate can have at most %d tags.",
		    ACM_MAX_TAGS);
		goto out;
	}
	if (r != 0) {
		rc = fail_store(ctx, r, "tags");
		goto out;
	}
	rc = empty_out(ctx, out_);
 out:
	tags_free(t, n);
	store_acm_cert_clear(&c);
	return rc;
}

static int
acm_remove_tags_from_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Acm__RemoveTagsFromCertificateRequest *in = (const void *)in_;
	struct store_acm_cert c;
	struct store_tag *t = NULL;
	size_t n = 0;
	int r, rc = -1;

	if (acm_cert_load(ctx, in->certificate_arn, &c) != 0)
		return -1;
	if (in->n_tags == 0) {
		rc = op_fail(ctx, EXC_VALIDATION, "Tags must name at least one tag.");
		goto out;
	}
	if (tags_check(ctx, in->tags, in->n_tags, 0, &t, &n) != 0)
		goto out;
	if ((r = store_acm_tags_remove(ctx->fe->store, c.id, t, n)) != 0) {
		rc = fail_store(ctx, r, "tags");
		goto out;
	}
	rc = empty_out(ctx, out_);
 out:
	tags_free(t, n);
	store_acm_cert_clear(&c);
	return rc;
}

static int
acm_list_tags_for_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Acm__ListTagsForCertificateRequest *in = (const void *)in_;
	Pca__Api__Acm__ListTagsForCertificateResponse *out;
	struct store_acm_cert c;
	struct store_tag *t = NULL;
	size_t n = 0;
	int r, rc = -1;

	if (acm_cert_load(ctx, in->certificate_arn, &c) != 0)
		return -1;
	if ((r = store_acm_tags_list(ctx->fe->store, c.id, &t, &n)) != 0) {
		rc = fail_store(ctx, r, "tags");
		goto out;
	}
	if ((out = (void *)msg_new(&pca__api__acm__list_tags_for_certificate_response__descriptor))
	    == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	if (n > 0 && (out->tags = calloc(n, sizeof(void *))) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		Pca__Api__Acm__Tag *s;

		if ((s = (void *)msg_new(&pca__api__acm__tag__descriptor)) == NULL) {
			rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
		out->tags[out->n_tags++] = s;
		if ((s->key = strdup(t[i].key)) == NULL ||
		    (t[i].value != NULL && (s->value = strdup(t[i].value)) == NULL)) {
			rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
	}
	rc = 0;
 out:
	store_tags_free(t, n);
	store_acm_cert_clear(&c);
	return rc;
}

/* ---- the account configuration -------------------------------------------------------- */

static int
acm_get_account_configuration(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	Pca__Api__Acm__GetAccountConfigurationResponse *out;
	Pca__Api__Acm__ExpiryEventsConfiguration *e;

	(void)in_;
	if ((out = (void *)msg_new(&pca__api__acm__get_account_configuration_response__descriptor))
	    == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	*out_ = &out->base;
	if ((e = (void *)msg_new(&pca__api__acm__expiry_events_configuration__descriptor)) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	out->expiry_events = e;
	e->has_days_before_expiry = 1;
	e->days_before_expiry = (int32_t)(acm_renewal_window(ctx->fe, ctx->caller->account_id) /
	    86400);
	return 0;
}

/* DaysBeforeExpiry is the renewal window here too: managed renewal starts
 * that many days before NotAfter (default 60). */
static int
acm_put_account_configuration(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Acm__PutAccountConfigurationRequest *in = (const void *)in_;
	char key[64], val[16];
	int r;

	if (!token_valid(in->idempotency_token))
		return op_fail(ctx, EXC_VALIDATION, "IdempotencyToken must match \\w+.");
	if (in->expiry_events != NULL && in->expiry_events->has_days_before_expiry) {
		int32_t d = in->expiry_events->days_before_expiry;

		if (d < 1 || d > ACM_WINDOW_MAX_DAYS)
			return op_fail(ctx, EXC_VALIDATION, "DaysBeforeExpiry must be 1..%d.",
			    ACM_WINDOW_MAX_DAYS);
		acm_setting_key(key, sizeof(key), ctx->caller->account_id);
		snprintf(val, sizeof(val), "%d", (int)d);
		if ((r = store_setting_put(ctx->fe->store, key, val)) != 0)
			return fail_store(ctx, r, "account configuration");
		log_info("account %s: DaysBeforeExpiry %d set by %s", ctx->caller->account_id,
		    (int)d, ctx->caller->arn);
	}
	return empty_out(ctx, out_);
}

/* ---- the table ------------------------------------------------------------------------- */

#define ACM_OP(name, fn, res, flags) \
	{ "acm", #name, "acm:" #name, res, flags, fn, NULL, NULL }

struct op_entry acm_op_table[] = {
	ACM_OP(RequestCertificate, acm_request_certificate, NULL, 0),
	ACM_OP(DescribeCertificate, acm_describe_certificate, CERT_ARN, 0),
	ACM_OP(ListCertificates, acm_list_certificates, NULL, 0),
	ACM_OP(GetCertificate, acm_get_certificate, CERT_ARN, 0),
	/* the answer holds the (passphrase-encrypted) key, the request the
	 * passphrase */
	ACM_OP(ExportCertificate, acm_export_certificate, CERT_ARN, OP_SECRETS),
	/* the request holds a plaintext key */
	{ "acm", "ImportCertificate", "acm:ImportCertificate", NULL, OP_SECRETS,
	  acm_import_certificate, NULL, res_import },
	ACM_OP(DeleteCertificate, acm_delete_certificate, CERT_ARN, 0),
	ACM_OP(RenewCertificate, acm_renew_certificate, CERT_ARN, 0),
	ACM_OP(UpdateCertificateOptions, acm_update_certificate_options, CERT_ARN, 0),
	ACM_OP(AddTagsToCertificate, acm_add_tags_to_certificate, CERT_ARN, 0),
	ACM_OP(RemoveTagsFromCertificate, acm_remove_tags_from_certificate, CERT_ARN, 0),
	ACM_OP(ListTagsForCertificate, acm_list_tags_for_certificate, CERT_ARN, 0),
	ACM_OP(GetAccountConfiguration, acm_get_account_configuration, NULL, 0),
	ACM_OP(PutAccountConfiguration, acm_put_account_configuration, NULL, 0),
	{ 0 },
};
