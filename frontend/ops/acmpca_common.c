/*
 * acmpca_common.c - helpers shared by the acm-pca handlers.
 */
#include "acmpca.h"
#include "arn.h"
#include "clock.h"
#include "log.h"
#include "ops.h"
#include "x509util.h"

#include <stdlib.h>
#include <string.h>

ProtobufCMessage *
msg_new(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = malloc(d->sizeof_message);

	if (m != NULL)
		d->message_init(m);
	return m;
}

char *
xstrdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

int
fail_store(struct op_ctx *ctx, int r, const char *what)
{
	switch (r) {
	case PCA_ERR_NOT_FOUND:
		return op_fail(ctx, EXC_RESOURCE_NOT_FOUND, "%s not found", what);
	case PCA_ERR_STATE:
		return op_fail(ctx, EXC_CONCURRENT_MODIFICATION,
		    "A previous update to %s is still in progress; try again", what);
	case PCA_ERR_TOO_LARGE:
		return op_fail(ctx, EXC_LIMIT_EXCEEDED, "a limit on %s was exceeded", what);
	default:
		log_error_fr(r, "store: %s", what);
		return op_fail(ctx, EXC_INTERNAL, "internal error storing %s", what);
	}
}

int
fail_signer(struct op_ctx *ctx, int r, const char *why)
{
	switch (r) {
	case PCA_ERR_UNAVAILABLE:
	case PCA_ERR_TIMEOUT:
	case PCA_ERR_TRANSPORT:
		return op_fail(ctx, EXC_SERVICE_UNAVAILABLE,
		    "The signing service is unavailable; retry the request later (%s)", why);
	case PCA_ERR_POLICY:
	case PCA_ERR_INVALID:
	case PCA_ERR_UNSUPPORTED:
		return op_fail(ctx, EXC_INVALID_ARGS, "The signer refused the request: %s", why);
	case PCA_ERR_NOT_FOUND:
		return op_fail(ctx, EXC_INVALID_STATE,
		    "The certificate authority's key is not in the token: %s", why);
	default:
		log_error_fr(r, "signer: %s", why);
		return op_fail(ctx, EXC_REQUEST_FAILED, "The request failed: %s", why);
	}
}

int
ca_load(struct op_ctx *ctx, const char *arn, struct store_ca *ca)
{
	struct arn a;
	char id[37];
	int r;

	memset(ca, 0, sizeof(*ca));
	if (arn == NULL || arn_parse_ca(arn, &a, id) != 0)
		return op_fail(ctx, EXC_INVALID_ARN, "The ARN %.200s is not a valid "
		    "certificate authority ARN.", arn != NULL ? arn : "");
	if ((r = store_ca_get(ctx->fe->store, id, ca)) != 0) {
		if (r == PCA_ERR_NOT_FOUND)
			return op_fail(ctx, EXC_RESOURCE_NOT_FOUND,
			    "Could not find certificate authority %.200s.", arn);
		return fail_store(ctx, r, "certificate authority");
	}
	if (strcmp(ca->arn, arn) != 0) {
		store_ca_clear(ca);
		return op_fail(ctx, EXC_RESOURCE_NOT_FOUND,
		    "Could not find certificate authority %.200s.", arn);
	}
	/* a CA whose certificate ran out is EXPIRED from that moment, whether
	 * or not the scheduler's sweep has recorded it yet */
	if ((ca->status == CA_STATUS(ACTIVE) || ca->status == CA_STATUS(DISABLED)) &&
	    ca->not_after != 0 && ca->not_after <= clock_now()) {
		ca->status = CA_STATUS(EXPIRED);
		ca->last_state_change_at = ca->not_after;
		if (store_ca_update(ctx->fe->store, ca) != 0)
			log_warn("CA %s: could not record expiry", ca->id);
	}
	return 0;
}

int
ca_key_id(const struct store_ca *ca, uint8_t out[16])
{
	return uuid_to_bytes(ca->id, out);
}

const char *
enum_wire(const ProtobufCEnumDescriptor *d, int value)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);

	/* "CertificateAuthorityStatus_ACTIVE" -> "ACTIVE" (gen_api.py's rule) */
	return v != NULL ? v->name + strlen(d->short_name) + 1 : "UNKNOWN";
}

const char *
ca_status_name(int status)
{
	return enum_wire(&pca__api__acm_pca__certificate_authority_status__descriptor, status);
}

Pca__Signer__KeyAlg
keyalg_to_signer(int k)
{
	switch (k) {
	case KEY_ALG(RSA_2048):		return PCA__SIGNER__KEY_ALG__KEY_ALG_RSA_2048;
	case KEY_ALG(RSA_3072):		return PCA__SIGNER__KEY_ALG__KEY_ALG_RSA_3072;
	case KEY_ALG(RSA_4096):		return PCA__SIGNER__KEY_ALG__KEY_ALG_RSA_4096;
	case KEY_ALG(EC_prime256v1):	return PCA__SIGNER__KEY_ALG__KEY_ALG_EC_P256;
	case KEY_ALG(EC_secp384r1):	return PCA__SIGNER__KEY_ALG__KEY_ALG_EC_P384;
	default:			return 0;
	}
}

Pca__Signer__SigAlg
sigalg_to_signer(int s)
{
	switch (s) {
	case SIG_ALG(SHA256WITHRSA):	return PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_RSA;
	case SIG_ALG(SHA384WITHRSA):	return PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_RSA;
	case SIG_ALG(SHA512WITHRSA):	return PCA__SIGNER__SIG_ALG__SIG_ALG_SHA512_RSA;
	case SIG_ALG(SHA256WITHECDSA):	return PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA;
	case SIG_ALG(SHA384WITHECDSA):	return PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_ECDSA;
	case SIG_ALG(SHA512WITHECDSA):	return PCA__SIGNER__SIG_ALG__SIG_ALG_SHA512_ECDSA;
	default:			return 0;
	}
}

const char *
key_family(int k)
{
	switch (k) {
	case KEY_ALG(RSA_2048): case KEY_ALG(RSA_3072): case KEY_ALG(RSA_4096):
		return "RSA";
	case KEY_ALG(EC_prime256v1): case KEY_ALG(EC_secp384r1): case KEY_ALG(EC_secp521r1):
		return "ECDSA";
	default:
		return "unsupported";
	}
}

int
sigalg_fits_key(int s, int k)
{
	switch (s) {
	case SIG_ALG(SHA256WITHRSA): case SIG_ALG(SHA384WITHRSA): case SIG_ALG(SHA512WITHRSA):
		return strcmp(key_family(k), "RSA") == 0;
	case SIG_ALG(SHA256WITHECDSA): case SIG_ALG(SHA384WITHECDSA): case SIG_ALG(SHA512WITHECDSA):
		return strcmp(key_family(k), "ECDSA") == 0;
	default:
		return 0;
	}
}

Pca__Api__AcmPca__CertificateAuthority *
ca_to_shape(struct op_ctx *ctx, const struct store_ca *ca)
{
	Pca__Api__AcmPca__CertificateAuthority *o;

	if ((o = (Pca__Api__AcmPca__CertificateAuthority *)msg_new(
	    &pca__api__acm_pca__certificate_authority__descriptor)) == NULL)
		goto nomem;
	o->arn = xstrdup(ca->arn);
	o->owner_account = xstrdup(ca->account_id);
	o->has_created_at = 1;
	o->created_at = (double)ca->created_at;
	o->has_last_state_change_at = 1;
	o->last_state_change_at = (double)ca->last_state_change_at;
	o->has_type = 1;
	o->type = ca->type;
	o->has_status = 1;
	o->status = ca->status;
	if (ca->serial != NULL)
		o->serial = xstrdup(ca->serial);
	if (ca->not_before != 0) {
		o->has_not_before = o->has_not_after = 1;
		o->not_before = (double)ca->not_before;
		o->not_after = (double)ca->not_after;
	}
	if (ca->failure_reason != 0) {
		o->has_failure_reason = 1;
		o->failure_reason = ca->failure_reason;
	}
	if (ca->restorable_until != 0 && ca->status == CA_STATUS(DELETED)) {
		o->has_restorable_until = 1;
		o->restorable_until = (double)ca->restorable_until;
	}
	if (ca->key_storage != 0) {
		o->has_key_storage_security_standard = 1;
		o->key_storage_security_standard = ca->key_storage;
	}
	if (ca->usage_mode != 0) {
		o->has_usage_mode = 1;
		o->usage_mode = ca->usage_mode;
	}
	o->certificate_authority_configuration =
	    pca__api__acm_pca__certificate_authority_configuration__unpack(NULL,
	    ca->config_len, ca->config);
	if (o->certificate_authority_configuration == NULL) {
		log_error("CA %s: stored configuration does not decode", ca->id);
		protobuf_c_message_free_unpacked(&o->base, NULL);
		op_fail(ctx, EXC_INTERNAL, "internal error reading the CA");
		return NULL;
	}
	if (ca->revocation != NULL)
		o->revocation_configuration = pca__api__acm_pca__revocation_configuration__unpack(
		    NULL, ca->revocation_len, ca->revocation);
	if (o->arn == NULL || o->owner_account == NULL) {
		protobuf_c_message_free_unpacked(&o->base, NULL);
		goto nomem;
	}
	return o;
 nomem:
	op_fail(ctx, EXC_INTERNAL, "out of memory");
	return NULL;
}
