#include "auth.h"
#include "api_catalog.h"
#include "clock.h"
#include "envelope.h"
#include "log.h"
#include "nonce_cache.h"
#include "sigv4.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

void
auth_caller_of(struct caller *c, const char *account_id, const char *user_name, const char *key_id)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->account_id, sizeof(c->account_id), "%s", account_id);
	snprintf(c->access_key_id, sizeof(c->access_key_id), "%s", key_id);
	if (user_name == NULL) {
		c->is_root = 1;
		snprintf(c->arn, sizeof(c->arn), "arn:aws:iam::%s:root", account_id);
	} else {
		snprintf(c->arn, sizeof(c->arn), "arn:aws:iam::%s:user/%s", account_id, user_name);
	}
}

static int
fail(enum api_exc *exc, enum api_exc e, char *msg, size_t msglen, const char *text)
{
	*exc = e;
	snprintf(msg, msglen, "%s", text);
	return -1;
}

int
auth_native(struct frontend *fe, const Pca__Api__Request *req, struct caller *caller,
    enum api_exc *exc, char *msg, size_t msglen)
{
	const struct api_service *svc;
	struct store_access_key key;
	char why[512];
	int64_t ts, now = clock_real();
	int r, rc = -1;

	memset(&key, 0, sizeof(key));
	if ((svc = api_service_find(req->service)) == NULL)
		return fail(exc, EXC_UNKNOWN_OPERATION, msg, msglen, "Unknown service.");
	if (req->access_key_id[0] == '\0')
		return fail(exc, EXC_MISSING_AUTH, msg, msglen, "Missing Authentication Token");
	if (sigv4_parse_amzdate(req->timestamp, &ts) != 0)
		return fail(exc, EXC_INCOMPLETE_SIGNATURE, msg, msglen,
		    "The request timestamp is not of the form YYYYMMDDTHHMMSSZ.");
	if (sigv4_check_window(ts, now, why, sizeof(why)) != 0)
		return fail(exc, EXC_INVALID_SIGNATURE, msg, msglen, why);
	/*
	 * The nonces seen before a restart are gone with the process, so a
	 * request signed before this frontend started could be a replay, or
	 * one nanomsg resent after the restart that the previous process
	 * already carried out. Refuse it; the window refuses the rest.
	 */
	if (ts < fe->started_at)
		return fail(exc, EXC_INVALID_SIGNATURE, msg, msglen,
		    "The request was signed before the service started; sign it again.");
	r = store_access_key_get(fe->store, req->access_key_id, &key);
	if (r == PCA_ERR_NOT_FOUND || (r == 0 && !key.active)) {
		rc = fail(exc, EXC_UNRECOGNIZED_CLIENT, msg, msglen,
		    "The security token included in the request is invalid.");
		goto out;
	}
	if (r != 0) {
		rc = fail(exc, EXC_INTERNAL, msg, msglen, "Internal error.");
		goto out;
	}
	if (req->session_token != NULL && req->session_token[0] != '\0') {
		/* long-term keys carry no session token */
		rc = fail(exc, EXC_UNRECOGNIZED_CLIENT, msg, msglen,
		    "The security token included in the request is invalid.");
		goto out;
	}
	if (envelope_verify(req, key.secret, svc->signing_name, why, sizeof(why)) != 0) {
		rc = fail(exc, EXC_INVALID_SIGNATURE, msg, msglen,
		    "The request signature we calculated does not match the signature you "
		    "provided. Check your AWS Secret Access Key and signing method. Consult "
		    "the service documentation for details.");
		goto out;
	}
	r = nonce_cache_check_and_add(fe->nonces, req->access_key_id, req->nonce, ts, now);
	if (r == PCA_ERR_EXISTS) {
		log_warn("replayed request refused: key %s", req->access_key_id);
		rc = fail(exc, EXC_INVALID_SIGNATURE, msg, msglen,
		    "The request was already received: its nonce has been used.");
		goto out;
	}
	if (r != 0) {
		rc = fail(exc, EXC_THROTTLING, msg, msglen, "Rate exceeded");
		goto out;
	}
	auth_caller_of(caller, key.account_id, key.user_name, key.id);
	rc = 0;
 out:
	store_access_key_clear(&key);
	return rc;
}
