/*
 * acmpca_ca.c - the certificate authority's lifecycle:
 * Create, Describe, List, Update, Delete, Restore, GetCertificateAuthorityCsr,
 * ImportCertificateAuthorityCertificate, GetCertificateAuthorityCertificate.
 *
 *   Create -> CREATING -> PENDING_CERTIFICATE -Import-> ACTIVE <-Update-> DISABLED
 *                |                                       (NotAfter passes) -> EXPIRED
 *                v
 *             FAILED                  Delete -> DELETED -Restore-> previous status
 */
#include "acmpca.h"
#include "authz.h"
#include "store_iam.h"
#include "arn.h"
#include "clock.h"
#include "gname.h"
#include "log.h"
#include "ops.h"
#include "scheduler.h"
#include "signer_client.h"
#include "store.h"
#include "subject.h"
#include "tags.h"
#include "x509util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#define LIST_PAGE_MAX		100
#define KEYGEN_FAILURE(x) \
	PCA__API__ACM_PCA__FAILURE_REASON__FailureReason_##x
#define USAGE(x) \
	PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_USAGE_MODE__CertificateAuthorityUsageMode_##x
#define STORAGE(x) \
	PCA__API__ACM_PCA__KEY_STORAGE_SECURITY_STANDARD__KeyStorageSecurityStandard_##x
#define OWNER(x) PCA__API__ACM_PCA__RESOURCE_OWNER__ResourceOwner_##x

/* acm-pca KeyUsage shape -> signer.proto's key usage bits. */
static unsigned
keyusage_bits(const Pca__Api__AcmPca__KeyUsage *ku)
{
	unsigned b = 0;

	b |= ku->has_digital_signature && ku->digital_signature ? 0x001 : 0;
	b |= ku->has_non_repudiation && ku->non_repudiation ? 0x002 : 0;
	b |= ku->has_key_encipherment && ku->key_encipherment ? 0x004 : 0;
	b |= ku->has_data_encipherment && ku->data_encipherment ? 0x008 : 0;
	b |= ku->has_key_agreement && ku->key_agreement ? 0x010 : 0;
	b |= ku->has_key_cert_sign && ku->key_cert_sign ? 0x020 : 0;
	b |= ku->has_crlsign && ku->crlsign ? 0x040 : 0;
	b |= ku->has_encipher_only && ku->encipher_only ? 0x080 : 0;
	b |= ku->has_decipher_only && ku->decipher_only ? 0x100 : 0;
	return b;
}

/*
 * RevocationConfiguration rules of the API reference: a disabled CRL or
 * OCSP block holds only Enabled=false; CNAMEs carry no scheme; OmitExtension
 * cannot go with a CustomCname; expiration 1..5000 days (checked by the
 * model's rules).
 */
static int
revocation_check(struct op_ctx *ctx, const Pca__Api__AcmPca__RevocationConfiguration *rc)
{
	const Pca__Api__AcmPca__CrlConfiguration *crl = rc->crl_configuration;
	const Pca__Api__AcmPca__OcspConfiguration *ocsp = rc->ocsp_configuration;

	if (crl != NULL) {
		if (!crl->enabled && (crl->has_expiration_in_days || crl->custom_cname != NULL ||
		    crl->s3_bucket_name != NULL || crl->has_s3_object_acl ||
		    crl->crl_distribution_point_extension_configuration != NULL ||
		    crl->custom_path != NULL || crl->has_crl_type))
			return op_fail(ctx, EXC_INVALID_ARGS, "A disabled CrlConfiguration "
			    "may contain only Enabled=false");
		if (crl->custom_cname != NULL && strstr(crl->custom_cname, "://") != NULL)
			return op_fail(ctx, EXC_INVALID_ARGS, "CustomCname must not contain "
			    "a scheme such as http://");
		if (crl->custom_cname != NULL &&
		    crl->crl_distribution_point_extension_configuration != NULL &&
		    crl->crl_distribution_point_extension_configuration->omit_extension)
			return op_fail(ctx, EXC_INVALID_ARGS, "OmitExtension cannot be "
			    "combined with CustomCname");
	}
	if (ocsp != NULL) {
		if (!ocsp->enabled && ocsp->ocsp_custom_cname != NULL)
			return op_fail(ctx, EXC_INVALID_ARGS, "A disabled OcspConfiguration "
			    "may contain only Enabled=false");
		if (ocsp->ocsp_custom_cname != NULL && strstr(ocsp->ocsp_custom_cname, "://") != NULL)
			return op_fail(ctx, EXC_INVALID_ARGS, "OcspCustomCname must not "
			    "contain a scheme such as http://");
	}
	return 0;
}

static int
pack_msg(const ProtobufCMessage *m, uint8_t **out, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	if ((*out = malloc(*len > 0 ? *len : 1)) == NULL)
		return PCA_ERR_NOMEM;
	protobuf_c_message_pack(m, *out);
	return 0;
}

/*
 * Bring a CREATING CA to PENDING_CERTIFICATE: make sure its key pair exists
 * in the token (a retry finds the key a previous attempt made), have the
 * signer sign its CSR, store both. The CA's row is updated (version checked).
 * Returns 0, or the signer's error with the CA left CREATING (retryable) or
 * made FAILED (refused).
 */
int
ca_provision(struct fe_worker *w, struct store_ca *ca, char *why, size_t whylen)
{
	Pca__Api__AcmPca__CertificateAuthorityConfiguration *cfg = NULL;
	Pca__Signer__SignCsrRequest sreq = PCA__SIGNER__SIGN_CSR_REQUEST__INIT;
	uint8_t kid[16], *spki = NULL, *csr = NULL, *subj = NULL, *sia = NULL;
	size_t spki_len = 0, csr_len = 0, subj_len = 0, sia_len = 0;
	int r;

	if ((r = ca_key_id(ca, kid)) != 0)
		goto out;
	cfg = pca__api__acm_pca__certificate_authority_configuration__unpack(NULL,
	    ca->config_len, ca->config);
	if (cfg == NULL) {
		snprintf(why, whylen, "stored configuration does not decode");
		r = PCA_ERR_INTERNAL;
		goto out;
	}
	r = signer_client_get_public_key(w->signer, kid, &spki, &spki_len, why, whylen);
	if (r == PCA_ERR_NOT_FOUND)
		r = signer_client_generate_key(w->signer, kid, keyalg_to_signer(cfg->key_algorithm),
		    (int)w->fe->cfg.keygen_timeout_ms, &spki, &spki_len, why, whylen);
	if (r != 0)
		goto failed;
	if ((r = subject_to_der(cfg->subject, &subj, &subj_len, why, whylen)) != 0)
		goto failed;
	sreq.key_id.data = kid;
	sreq.key_id.len = sizeof(kid);
	sreq.sig_alg = sigalg_to_signer(cfg->signing_algorithm);
	sreq.subject.data = subj;
	sreq.subject.len = subj_len;
	if (cfg->csr_extensions != NULL && cfg->csr_extensions->key_usage != NULL) {
		sreq.has_key_usage = 1;
		sreq.key_usage = keyusage_bits(cfg->csr_extensions->key_usage);
	}
	if (cfg->csr_extensions != NULL && cfg->csr_extensions->n_subject_information_access > 0) {
		if ((r = gname_sia_der(cfg->csr_extensions->subject_information_access,
		    cfg->csr_extensions->n_subject_information_access, &sia, &sia_len,
		    why, whylen)) != 0)
			goto failed;
		sreq.has_subject_info_access = 1;
		sreq.subject_info_access.data = sia;
		sreq.subject_info_access.len = sia_len;
	}
	if ((r = signer_client_sign_csr(w->signer, &sreq, &csr, &csr_len, why, whylen)) != 0)
		goto failed;
	free(ca->csr_der);
	ca->csr_der = csr;
	ca->csr_der_len = csr_len;
	csr = NULL;
	ca->status = CA_STATUS(PENDING_CERTIFICATE);
	ca->last_state_change_at = clock_now();
	r = store_ca_update(w->fe->store, ca);
	goto out;
 failed:
	if (r == PCA_ERR_UNAVAILABLE || r == PCA_ERR_TIMEOUT || r == PCA_ERR_TRANSPORT)
		goto out;	/* stays CREATING; the scheduler tries again */
	log_warn_fr(r, "CA %s failed: %s", ca->id, why);
	ca->status = CA_STATUS(FAILED);
	ca->failure_reason = r == PCA_ERR_POLICY || r == PCA_ERR_UNSUPPORTED ?
	    KEYGEN_FAILURE(UNSUPPORTED_ALGORITHM) : KEYGEN_FAILURE(OTHER);
	ca->last_state_change_at = clock_now();
	if (store_ca_update(w->fe->store, ca) != 0)
		log_error("CA %s: could not record the failure", ca->id);
 out:
	if (cfg != NULL)
		pca__api__acm_pca__certificate_authority_configuration__free_unpacked(cfg, NULL);
	free(spki);
	free(csr);
	free(subj);
	free(sia);
	return r;
}

int
acmpca_create_certificate_authority(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__CreateCertificateAuthorityRequest *in = (const void *)in_;
	const Pca__Api__AcmPca__CertificateAuthorityConfiguration *cfg =
	    in->certificate_authority_configuration;
	Pca__Api__AcmPca__CreateCertificateAuthorityResponse *out = NULL;
	struct store_ca ca;
	struct store_tag *tags = NULL;
	char why[512], scope[128], arn[ARN_MAX], *existing = NULL;
	uint8_t *subj = NULL, *sia = NULL;
	size_t subj_len = 0, sia_len = 0, ntags = 0;
	int r, rc = -1;

	memset(&ca, 0, sizeof(ca));
	if (keyalg_to_signer(cfg->key_algorithm) == 0) {
		rc = op_fail(ctx, EXC_INVALID_ARGS, "KeyAlgorithm %s is not supported by this "
		    "service's token", enum_wire(&pca__api__acm_pca__key_algorithm__descriptor,
		    cfg->key_algorithm));
		goto out;
	}
	if (!sigalg_fits_key(cfg->signing_algorithm, cfg->key_algorithm)) {
		rc = op_fail(ctx, EXC_INVALID_ARGS, "SigningAlgorithm must be a %s algorithm "
		    "for the CA's key algorithm", key_family(cfg->key_algorithm));
		goto out;
	}
	/* check what the signer will need now, not after the CA exists */
	if (subject_to_der(cfg->subject, &subj, &subj_len, why, sizeof(why)) != 0) {
		rc = op_fail(ctx, EXC_INVALID_ARGS, "Invalid Subject: %s", why);
		goto out;
	}
	if (cfg->csr_extensions != NULL && cfg->csr_extensions->n_subject_information_access > 0 &&
	    gname_sia_der(cfg->csr_extensions->subject_information_access,
	    cfg->csr_extensions->n_subject_information_access, &sia, &sia_len,
	    why, sizeof(why)) != 0) {
		rc = op_fail(ctx, EXC_INVALID_ARGS, "Invalid SubjectInformationAccess: %s", why);
		goto out;
	}
	if (in->revocation_configuration != NULL &&
	    revocation_check(ctx, in->revocation_configuration) != 0)
		goto out;
	if (tags_from_shapes(ctx, (const Pca__Api__AcmPca__Tag *const *)in->tags, in->n_tags,
	    1, &tags, &ntags) != 0)
		goto out;

	if (uuid_generate(ca.id) != 0) {
		rc = op_fail(ctx, EXC_INTERNAL, "could not make an identifier");
		goto out;
	}
	memcpy(ca.account_id, ctx->caller->account_id, sizeof(ca.account_id));
	arn_format_ca(arn, sizeof(arn), ctx->fe->cfg.region, ca.account_id, ca.id);
	ca.arn = arn;
	ca.type = in->certificate_authority_type;
	ca.status = CA_STATUS(CREATING);
	ca.key_algorithm = cfg->key_algorithm;
	ca.key_storage = in->has_key_storage_security_standard ?
	    in->key_storage_security_standard : STORAGE(FIPS_140_2_LEVEL_3_OR_HIGHER);
	ca.usage_mode = in->has_usage_mode ? in->usage_mode : USAGE(GENERAL_PURPOSE);
	ca.created_at = ca.last_state_change_at = clock_now();
	if (pack_msg(&cfg->base, &ca.config, &ca.config_len) != 0 ||
	    (in->revocation_configuration != NULL &&
	    pack_msg(&in->revocation_configuration->base, &ca.revocation, &ca.revocation_len) != 0)) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}

	snprintf(scope, sizeof(scope), "CreateCertificateAuthority:%s", ca.account_id);
	r = store_ca_insert_idem(ctx->fe->store, &ca, in->idempotency_token != NULL ? scope : NULL,
	    in->idempotency_token, IDEMPOTENCY_WINDOW, &existing);
	if (r == PCA_ERR_EXISTS && existing != NULL) {
		/* the same token within the window: the same CA */
		snprintf(arn, sizeof(arn), "%s", existing);
		goto answer;
	}
	if (r != 0) {
		rc = fail_store(ctx, r, "certificate authority");
		goto out;
	}
	if (ntags > 0 && (r = store_tags_put(ctx->fe->store, ca.id, tags, ntags,
	    CA_MAX_TAGS)) != 0) {
		rc = fail_store(ctx, r, "tags");
		goto out;
	}
	log_info("CA %s created by %s", ca.id, ctx->caller->arn);
	/* the key pair and CSR now; if the signer is away, the scheduler
	 * finishes later and the CA shows CREATING meanwhile (as AWS does) */
	if ((r = ca_provision(ctx->w, &ca, why, sizeof(why))) != 0)
		log_warn_fr(r, "CA %s: provisioning deferred: %s", ca.id, why);
 answer:
	if ((out = (void *)msg_new(&pca__api__acm_pca__create_certificate_authority_response__descriptor))
	    == NULL || (out->certificate_authority_arn = strdup(arn)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	out = NULL;
	rc = 0;
 out:
	if (out != NULL)
		protobuf_c_message_free_unpacked(&out->base, NULL);
	ca.arn = NULL;		/* on the stack */
	store_ca_clear(&ca);
	tags_free(tags, ntags);
	free(existing);
	free(subj);
	free(sia);
	return rc;
}

int
acmpca_describe_certificate_authority(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__DescribeCertificateAuthorityRequest *in = (const void *)in_;
	Pca__Api__AcmPca__DescribeCertificateAuthorityResponse *out;
	struct store_ca ca;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	out = (void *)msg_new(&pca__api__acm_pca__describe_certificate_authority_response__descriptor);
	if (out == NULL) {
		store_ca_clear(&ca);
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	}
	*out_ = &out->base;
	out->certificate_authority = ca_to_shape(ctx, &ca);
	store_ca_clear(&ca);
	return out->certificate_authority != NULL ? 0 : -1;
}

/*
 * ResourceOwner OTHER_ACCOUNTS: the CAs of other accounts whose resource
 * policy lets the caller describe them (what sharing grants), examined in
 * creation order; NextToken is the id of the last CA examined.
 */
static int
list_shared(struct op_ctx *ctx, const char *after, size_t limit,
    Pca__Api__AcmPca__ListCertificateAuthoritiesResponse *out)
{
	struct store_ca *cas = NULL;
	size_t n = 0, batch = 100;
	char last[STORE_CA_ID_LEN + 1] = "", why[512];
	int r, more = 1;

	if ((out->certificate_authorities = calloc(limit, sizeof(void *))) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	if (after != NULL)
		snprintf(last, sizeof(last), "%s", after);
	while (more && out->n_certificate_authorities < limit) {
		r = store_ca_list_with_policy_after(ctx->fe->store, ctx->caller->account_id,
		    last[0] != '\0' ? last : NULL, batch, &cas, &n);
		if (r == PCA_ERR_INVALID)
			return op_fail(ctx, EXC_INVALID_NEXT_TOKEN, "The token is not valid.");
		if (r != 0)
			return fail_store(ctx, r, "certificate authorities");
		size_t i;

		for (i = 0; i < n && out->n_certificate_authorities < limit; i++) {
			struct authz_request az = {
				.caller = ctx->caller,
				.action = "acm-pca:DescribeCertificateAuthority",
				.resource = cas[i].arn,
				.resource_account = cas[i].account_id,
			};

			snprintf(last, sizeof(last), "%s", cas[i].id);
			r = authorize(ctx->fe, &az, why, sizeof(why));
			if (r == PCA_ERR_AUTH)
				continue;
			if (r != 0) {
				store_ca_list_free(cas, n);
				return op_fail(ctx, EXC_INTERNAL, "%s", why);
			}
			out->certificate_authorities[out->n_certificate_authorities] =
			    ca_to_shape(ctx, &cas[i]);
			if (out->certificate_authorities[out->n_certificate_authorities] == NULL) {
				store_ca_list_free(cas, n);
				return -1;
			}
			out->n_certificate_authorities++;
		}
		/* stopped inside this batch, or the batch was full */
		more = i < n || n == batch;
		store_ca_list_free(cas, n);
		cas = NULL;
		n = 0;
	}
	if (more && last[0] != '\0')
		out->next_token = xstrdup(last);
	return 0;
}

int
acmpca_list_certificate_authorities(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__ListCertificateAuthoritiesRequest *in = (const void *)in_;
	Pca__Api__AcmPca__ListCertificateAuthoritiesResponse *out;
	struct store_ca *cas = NULL;
	size_t n = 0, limit = LIST_PAGE_MAX;
	int r;

	if (in->next_token != NULL && !uuid_valid(in->next_token))
		return op_fail(ctx, EXC_INVALID_NEXT_TOKEN, "The token is not valid.");
	if (in->has_max_results && (size_t)in->max_results < limit)
		limit = (size_t)in->max_results;
	out = (void *)msg_new(&pca__api__acm_pca__list_certificate_authorities_response__descriptor);
	if (out == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	*out_ = &out->base;
	if (in->has_resource_owner && in->resource_owner == OWNER(OTHER_ACCOUNTS))
		return list_shared(ctx, in->next_token, limit, out);
	/* one more than the page tells whether a next page exists */
	r = store_ca_list(ctx->fe->store, ctx->caller->account_id, in->next_token,
	    limit + 1, &cas, &n);
	if (r == PCA_ERR_INVALID)	/* not a CA of this account */
		return op_fail(ctx, EXC_INVALID_NEXT_TOKEN, "The token is not valid.");
	if (r != 0)
		return fail_store(ctx, r, "certificate authorities");
	if ((out->certificate_authorities = calloc(n > 0 ? n : 1, sizeof(void *))) == NULL) {
		store_ca_list_free(cas, n);
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < n && i < limit; i++) {
		if ((out->certificate_authorities[i] = ca_to_shape(ctx, &cas[i])) == NULL) {
			store_ca_list_free(cas, n);
			return -1;
		}
		out->n_certificate_authorities++;
	}
	if (n > limit)
		out->next_token = strdup(cas[limit - 1].id);
	store_ca_list_free(cas, n);
	return 0;
}

int
acmpca_update_certificate_authority(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__UpdateCertificateAuthorityRequest *in = (const void *)in_;
	struct store_ca ca;
	int r, rc = -1;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if (ca.status != CA_STATUS(ACTIVE) && ca.status != CA_STATUS(DISABLED)) {
		rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority is in the %s "
		    "state; it can be updated only when ACTIVE or DISABLED.",
		    ca_status_name(ca.status));
		goto out;
	}
	if (in->has_status) {
		if (in->status != CA_STATUS(ACTIVE) && in->status != CA_STATUS(DISABLED)) {
			rc = op_fail(ctx, EXC_INVALID_ARGS, "Status can be set only to ACTIVE "
			    "or DISABLED.");
			goto out;
		}
		if (in->status == CA_STATUS(ACTIVE) && ca.not_after <= clock_now()) {
			rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority's "
			    "certificate has expired; import a new one.");
			goto out;
		}
		if (ca.status != (int)in->status) {
			ca.status = in->status;
			ca.last_state_change_at = clock_now();
		}
	}
	if (in->revocation_configuration != NULL) {
		if (revocation_check(ctx, in->revocation_configuration) != 0)
			goto out;
		free(ca.revocation);
		if (pack_msg(&in->revocation_configuration->base, &ca.revocation,
		    &ca.revocation_len) != 0) {
			ca.revocation = NULL;
			rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
	}
	if ((r = store_ca_update(ctx->fe->store, &ca)) != 0) {
		rc = fail_store(ctx, r, "certificate authority");
		goto out;
	}
	log_info("CA %s updated by %s: %s", ca.id, ctx->caller->arn, ca_status_name(ca.status));
	if ((*out_ = msg_new(&pca__api__acm_pca__empty__descriptor)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_ca_clear(&ca);
	return rc;
}

int
acmpca_delete_certificate_authority(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__DeleteCertificateAuthorityRequest *in = (const void *)in_;
	struct store_ca ca;
	int64_t days = in->has_permanent_deletion_time_in_days ?
	    in->permanent_deletion_time_in_days : 30;
	int r, rc = -1, window;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	switch (ca.status) {
	case CA_STATUS(PENDING_CERTIFICATE):
	case CA_STATUS(DISABLED):
	case CA_STATUS(EXPIRED):
		window = 1;
		break;
	case CA_STATUS(CREATING):
	case CA_STATUS(FAILED):
		window = 0;	/* nothing was ever issued: no restore window */
		break;
	case CA_STATUS(ACTIVE):
		rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority is ACTIVE; "
		    "disable it before deleting it.");
		goto out;
	default:
		rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority is already %s.",
		    ca_status_name(ca.status));
		goto out;
	}
	ca.status_before_delete = ca.status;
	ca.status = CA_STATUS(DELETED);
	ca.last_state_change_at = clock_now();
	ca.restorable_until = window ? clock_now() + days * 86400 : 0;
	if ((r = store_ca_update(ctx->fe->store, &ca)) != 0) {
		rc = fail_store(ctx, r, "certificate authority");
		goto out;
	}
	log_info("CA %s deleted by %s; restorable for %lld days", ca.id, ctx->caller->arn,
	    window ? (long long)days : 0LL);
	if ((*out_ = msg_new(&pca__api__acm_pca__empty__descriptor)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_ca_clear(&ca);
	return rc;
}

int
acmpca_restore_certificate_authority(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__RestoreCertificateAuthorityRequest *in = (const void *)in_;
	struct store_ca ca;
	int r, rc = -1;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if (ca.status != CA_STATUS(DELETED)) {
		rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority is %s, not "
		    "DELETED.", ca_status_name(ca.status));
		goto out;
	}
	if (ca.restorable_until == 0 || ca.restorable_until <= clock_now()) {
		rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority can no longer "
		    "be restored.");
		goto out;
	}
	/* back to where it was; an ACTIVE CA cannot have been deleted, so a
	 * restored CA is never ACTIVE until updated */
	ca.status = ca.status_before_delete;
	ca.status_before_delete = 0;
	ca.restorable_until = 0;
	ca.last_state_change_at = clock_now();
	if ((r = store_ca_update(ctx->fe->store, &ca)) != 0) {
		rc = fail_store(ctx, r, "certificate authority");
		goto out;
	}
	log_info("CA %s restored by %s to %s", ca.id, ctx->caller->arn, ca_status_name(ca.status));
	if ((*out_ = msg_new(&pca__api__acm_pca__empty__descriptor)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_ca_clear(&ca);
	return rc;
}

int
acmpca_get_certificate_authority_csr(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__GetCertificateAuthorityCsrRequest *in = (const void *)in_;
	Pca__Api__AcmPca__GetCertificateAuthorityCsrResponse *out;
	struct store_ca ca;
	char *pem = NULL;
	int rc = -1;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if (ca.status == CA_STATUS(CREATING) || ca.csr_der == NULL) {
		rc = op_fail(ctx, EXC_REQUEST_IN_PROGRESS, "The certificate authority's CSR "
		    "is not ready yet.");
		goto out;
	}
	if (ca.status == CA_STATUS(DELETED) || ca.status == CA_STATUS(FAILED)) {
		rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority is %s.",
		    ca_status_name(ca.status));
		goto out;
	}
	if (x509_csr_der_to_pem(ca.csr_der, ca.csr_der_len, &pem) != 0) {
		rc = op_fail(ctx, EXC_REQUEST_FAILED, "The stored CSR does not encode.");
		goto out;
	}
	if ((out = (void *)msg_new(&pca__api__acm_pca__get_certificate_authority_csr_response__descriptor))
	    == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	out->csr = pem;
	pem = NULL;
	*out_ = &out->base;
	rc = 0;
 out:
	free(pem);
	store_ca_clear(&ca);
	return rc;
}

/*
 * Critical extensions an imported CA certificate may carry (API reference of
 * ImportCertificateAuthorityCertificate); any other critical extension is
 * refused.
 */
static int
critical_allowed(int nid)
{
	switch (nid) {
	case NID_authority_key_identifier: case NID_basic_constraints:
	case NID_certificate_policies: case NID_ext_key_usage: case NID_inhibit_any_policy:
	case NID_issuer_alt_name: case NID_key_usage: case NID_name_constraints:
	case NID_policy_mappings: case NID_subject_alt_name:
	case NID_subject_directory_attributes: case NID_subject_key_identifier:
	case NID_sinfo_access:
		return 1;
	default:
		return 0;
	}
}

static int
ca_cert_shape_ok(struct op_ctx *ctx, X509 *x)
{
	BASIC_CONSTRAINTS *bc;
	int crit = -1, ok;

	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	ok = bc != NULL && bc->ca && crit == 1;
	BASIC_CONSTRAINTS_free(bc);
	if (!ok)
		return op_fail(ctx, EXC_MALFORMED_CERTIFICATE, "A CA certificate needs a "
		    "critical basicConstraints extension with cA TRUE.");
	if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(x) & KU_KEY_CERT_SIGN))
		return op_fail(ctx, EXC_MALFORMED_CERTIFICATE, "The CA certificate's key "
		    "usage does not include keyCertSign.");
	for (int i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *e = X509_get_ext(x, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));
		if (X509_EXTENSION_get_critical(e) && !critical_allowed(nid))
			return op_fail(ctx, EXC_MALFORMED_CERTIFICATE, "Extension %s may not "
			    "be critical in a CA certificate.",
			    nid != NID_undef ? OBJ_nid2sn(nid) : "(unknown)");
	}
	return 0;
}

/* PEM of every certificate of a chain, issuer-first, one after the other. */
static char *
chain_to_pem(STACK_OF(X509) *chain)
{
	char *all = NULL, *pem = NULL;
	size_t len = 0;

	for (int i = 0; i < sk_X509_num(chain); i++) {
		uint8_t *der = NULL;
		size_t dl = 0;
		char *na;
		if (x509_cert_to_der(sk_X509_value(chain, i), &der, &dl) != 0 ||
		    x509_cert_der_to_pem(der, dl, &pem) != 0) {
			free(der);
			free(all);
			return NULL;
		}
		free(der);
		if ((na = realloc(all, len + strlen(pem) + 1)) == NULL) {
			free(pem);
			free(all);
			return NULL;
		}
		all = na;
		memcpy(all + len, pem, strlen(pem) + 1);
		len += strlen(pem);
		free(pem);
		pem = NULL;
	}
	return all;
}

int
acmpca_import_certificate_authority_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__ImportCertificateAuthorityCertificateRequest *in = (const void *)in_;
	struct store_ca ca;
	X509 *x = NULL, *anchor = NULL;
	X509_REQ *csr = NULL;
	STACK_OF(X509) *chain = NULL, *inter = NULL;
	EVP_PKEY *ca_key = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	char why[512], serial[X509_SERIAL_HEX_MAX], colon[64], *chain_pem = NULL;
	int64_t nb, na, now = clock_now();
	int r, rc = -1, self_signed;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if (ca.status != CA_STATUS(PENDING_CERTIFICATE) && ca.status != CA_STATUS(ACTIVE) &&
	    ca.status != CA_STATUS(EXPIRED) && ca.status != CA_STATUS(DISABLED)) {
		rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority is %s; a "
		    "certificate can be imported when it is PENDING_CERTIFICATE, ACTIVE, "
		    "DISABLED or EXPIRED.", ca_status_name(ca.status));
		goto out;
	}
	if (x509_cert_parse(in->certificate.data, in->certificate.len, &x) != 0) {
		rc = op_fail(ctx, EXC_MALFORMED_CERTIFICATE, "The certificate is not a PEM or "
		    "DER X.509 certificate.");
		goto out;
	}
	/* the CA's own key is the one in its CSR, which the signer made */
	if (ca.csr_der == NULL || x509_csr_parse(ca.csr_der, ca.csr_der_len, &csr) != 0 ||
	    (ca_key = X509_REQ_get_pubkey(csr)) == NULL) {
		rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority has no key yet.");
		goto out;
	}
	if (!x509_pkey_equal(X509_get0_pubkey(x), ca_key)) {
		rc = op_fail(ctx, EXC_CERTIFICATE_MISMATCH, "The certificate's public key does "
		    "not match the certificate authority's key.");
		goto out;
	}
	if (ca_cert_shape_ok(ctx, x) != 0)
		goto out;
	if (x509_cert_validity(x, &nb, &na) != 0 || na <= now || nb > now + 300) {
		rc = op_fail(ctx, EXC_INVALID_REQUEST, "The certificate is not valid at the "
		    "current time.");
		goto out;
	}
	self_signed = X509_check_issued(x, x) == X509_V_OK &&
	    X509_verify(x, X509_get0_pubkey(x)) == 1;
	if (ca.type == CA_TYPE(ROOT)) {
		if (!self_signed) {
			rc = op_fail(ctx, EXC_INVALID_REQUEST, "A root CA's certificate must be "
			    "self-signed.");
			goto out;
		}
		if (in->has_certificate_chain && in->certificate_chain.len > 0) {
			rc = op_fail(ctx, EXC_INVALID_REQUEST, "A root CA's certificate is "
			    "imported without a certificate chain.");
			goto out;
		}
		if (x509_verify_chain(x, NULL, x, now, why, sizeof(why)) != 0) {
			rc = op_fail(ctx, EXC_INVALID_REQUEST, "The certificate does not "
			    "verify: %s", why);
			goto out;
		}
	} else {
		if (self_signed) {
			rc = op_fail(ctx, EXC_INVALID_REQUEST, "A subordinate CA's certificate "
			    "cannot be self-signed.");
			goto out;
		}
		if (!in->has_certificate_chain || in->certificate_chain.len == 0) {
			rc = op_fail(ctx, EXC_INVALID_REQUEST, "A subordinate CA's certificate "
			    "needs its certificate chain.");
			goto out;
		}
		if (x509_chain_parse(in->certificate_chain.data, in->certificate_chain.len,
		    &chain) != 0) {
			rc = op_fail(ctx, EXC_MALFORMED_CERTIFICATE, "The certificate chain is "
			    "not a sequence of PEM certificates.");
			goto out;
		}
		/* issuer first, root last: the root anchors, the rest are intermediates */
		anchor = sk_X509_value(chain, sk_X509_num(chain) - 1);
		if ((inter = sk_X509_dup(chain)) == NULL) {
			rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
		(void)sk_X509_pop(inter);
		if (X509_check_issued(anchor, anchor) != X509_V_OK) {
			rc = op_fail(ctx, EXC_INVALID_REQUEST, "The last certificate of the chain "
			    "must be a self-signed root.");
			goto out;
		}
		if (x509_verify_chain(x, inter, anchor, now, why, sizeof(why)) != 0) {
			rc = op_fail(ctx, EXC_INVALID_REQUEST, "The certificate does not chain "
			    "to the given certificate chain: %s", why);
			goto out;
		}
		if ((chain_pem = chain_to_pem(chain)) == NULL) {
			rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
	}
	if (x509_cert_to_der(x, &der, &der_len) != 0 || x509_cert_serial_hex(x, serial) != 0) {
		rc = op_fail(ctx, EXC_MALFORMED_CERTIFICATE, "The certificate does not encode.");
		goto out;
	}
	{
		uint8_t sb[X509_SERIAL_MAX];
		size_t sl = 0;
		if (x509_serial_parse(serial, sb, &sl) != 0) {
			rc = op_fail(ctx, EXC_MALFORMED_CERTIFICATE, "bad serial number");
			goto out;
		}
		x509_serial_hex_colon(sb, sl, colon);
	}
	free(ca.cert_der);
	ca.cert_der = der;
	ca.cert_der_len = der_len;
	der = NULL;
	free(ca.chain_pem);
	ca.chain_pem = chain_pem;
	chain_pem = NULL;
	free(ca.serial);
	ca.serial = strdup(colon);
	ca.not_before = nb;
	ca.not_after = na;
	if (ca.status != CA_STATUS(DISABLED))
		ca.status = CA_STATUS(ACTIVE);
	ca.last_state_change_at = now;
	if ((r = store_ca_update(ctx->fe->store, &ca)) != 0) {
		rc = fail_store(ctx, r, "certificate authority");
		goto out;
	}
	log_info("CA %s: certificate %s imported by %s", ca.id, serial, ctx->caller->arn);
	if ((*out_ = msg_new(&pca__api__acm_pca__empty__descriptor)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	X509_free(x);
	X509_REQ_free(csr);
	EVP_PKEY_free(ca_key);
	sk_X509_free(inter);
	sk_X509_pop_free(chain, X509_free);
	free(der);
	free(chain_pem);
	store_ca_clear(&ca);
	return rc;
}

int
acmpca_get_certificate_authority_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__GetCertificateAuthorityCertificateRequest *in = (const void *)in_;
	Pca__Api__AcmPca__GetCertificateAuthorityCertificateResponse *out;
	struct store_ca ca;
	char *pem = NULL;
	int rc = -1;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if (ca.cert_der == NULL || ca.status == CA_STATUS(DELETED)) {
		rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority is %s and has "
		    "no certificate to return.", ca_status_name(ca.status));
		goto out;
	}
	if (x509_cert_der_to_pem(ca.cert_der, ca.cert_der_len, &pem) != 0) {
		rc = op_fail(ctx, EXC_INTERNAL, "the stored certificate does not encode");
		goto out;
	}
	out = (void *)msg_new(&pca__api__acm_pca__get_certificate_authority_certificate_response__descriptor);
	if (out == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	out->certificate = pem;
	pem = NULL;
	out->certificate_chain = xstrdup(ca.chain_pem);
	*out_ = &out->base;
	rc = 0;
 out:
	free(pem);
	store_ca_clear(&ca);
	return rc;
}
