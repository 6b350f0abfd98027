/*
 * hsmca_admin.c - hsmca's own operations: GetStatus, and with a test clock
 * AdvanceClock and RunScheduler (the frontend refuses those two otherwise,
 * see ops.c OP_TEST_CLOCK); VerifyAuditLog and ListAuditRecords for the
 * administrator.
 */
#include "acmpca.h"
#include "clock.h"
#include "hsmca.pb-c.h"
#include "log.h"
#include "ops.h"
#include "scheduler.h"
#include "signer_client.h"
#include "store_acm.h"
#include "store_iam.h"
#include "acm.pb-c.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

int
hsmca_get_status(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	Pca__Api__Hsmca__GetStatusResponse *out;
	char why[256];
	unsigned keys = 0;
	int ok = 0;

	(void)in_;
	if ((out = (void *)msg_new(&pca__api__hsmca__get_status_response__descriptor)) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	*out_ = &out->base;
	out->has_now = out->has_test_clock = out->has_offset_seconds = 1;
	out->now = (double)clock_now();
	out->test_clock = clock_is_test();
	out->offset_seconds = clock_offset();
	out->has_signer_healthy = 1;
	if (signer_client_health(ctx->w->signer, &ok, &keys, why, sizeof(why)) == 0) {
		out->signer_healthy = ok;
		out->has_signer_keys = 1;
		out->signer_keys = (int32_t)keys;
	}
	out->region = xstrdup(ctx->fe->cfg.region);
	return 0;
}

int
hsmca_advance_clock(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Hsmca__AdvanceClockRequest *in = (const void *)in_;
	Pca__Api__Hsmca__AdvanceClockResponse *out;
	int64_t secs = 0;
	char off[24];
	int r;

	if (in->has_days)
		secs += in->days * 86400;
	if (in->has_hours)
		secs += in->hours * 3600;
	if (in->has_seconds)
		secs += in->seconds;
	if (clock_advance(secs) != 0)
		return op_fail(ctx, EXC_INVALID_STATE, "The service clock is not a test clock.");
	log_info("service clock moved forward %lld s by %s", (long long)secs, ctx->caller->arn);
	/* kept for a restart (main.c); moves racing each other store the later
	 * offset last or nearly so, a test clock's tolerance */
	snprintf(off, sizeof(off), "%lld", (long long)clock_offset());
	if ((r = store_setting_put(ctx->fe->store, TEST_CLOCK_SETTING, off)) != 0)
		log_warn_fr(r, "the test clock's offset is not kept for a restart");
	if ((out = (void *)msg_new(&pca__api__hsmca__advance_clock_response__descriptor)) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	out->has_now = out->has_offset_seconds = 1;
	out->now = (double)clock_now();
	out->offset_seconds = clock_offset();
	*out_ = &out->base;
	return 0;
}

int
hsmca_run_scheduler(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	Pca__Api__Hsmca__RunSchedulerResponse *out;
	struct sched_result res;

	(void)in_;
	if (sched_sweep(ctx->w, &res) != 0)
		return op_fail(ctx, EXC_INTERNAL, "the sweep failed");
	if ((out = (void *)msg_new(&pca__api__hsmca__run_scheduler_response__descriptor)) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	out->has_now = out->has_purged_certificate_authorities =
	    out->has_expired_certificate_authorities = out->has_completed_certificates =
	    out->has_completed_certificate_authorities = 1;
	out->now = (double)clock_now();
	out->purged_certificate_authorities = res.purged_cas;
	out->expired_certificate_authorities = res.expired_cas;
	out->completed_certificates = res.completed_certs;
	out->completed_certificate_authorities = res.completed_cas;
	out->has_renewed_certificates = out->has_failed_renewals = 1;
	out->renewed_certificates = res.renewed_certs;
	out->failed_renewals = res.failed_renewals;
	*out_ = &out->base;
	return 0;
}

int
hsmca_verify_audit_log(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	Pca__Api__Hsmca__VerifyAuditLogResponse *out;
	int64_t count = 0, bad = 0;
	char msg[200];
	int r;

	(void)in_;
	r = store_audit_verify(ctx->fe->store, &count, &bad);
	if (r != 0 && r != PCA_ERR_BAD_SIGNATURE)
		return fail_store(ctx, r, "audit log");
	if ((out = (void *)msg_new(&pca__api__hsmca__verify_audit_log_response__descriptor)) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	*out_ = &out->base;
	out->has_valid = out->has_records = 1;
	out->valid = r == 0;
	out->records = count;
	if (r == 0) {
		snprintf(msg, sizeof(msg), "%lld records; every hash links to its predecessor",
		    (long long)count);
	} else {
		out->has_first_bad_sequence = 1;
		out->first_bad_sequence = bad;
		snprintf(msg, sizeof(msg), "the chain breaks at record %lld", (long long)bad);
		log_error("audit log: %s (checked by %s)", msg, ctx->caller->arn);
	}
	out->message = xstrdup(msg);
	return 0;
}

static void
hex_of(const uint8_t *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

#define AUDIT_PAGE_MAX	1000

int
hsmca_list_audit_records(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Hsmca__ListAuditRecordsRequest *in = (const void *)in_;
	Pca__Api__Hsmca__ListAuditRecordsResponse *out;
	struct store_audit *a = NULL;
	size_t n = 0, limit = AUDIT_PAGE_MAX;
	char hash[65];
	int r, rc = -1;

	if (in->has_max_results && in->max_results > 0 && (size_t)in->max_results < limit)
		limit = (size_t)in->max_results;
	r = store_audit_list(ctx->fe->store, in->has_after ? in->after : 0, limit, &a, &n);
	if (r != 0)
		return fail_store(ctx, r, "audit log");
	if ((out = (void *)msg_new(&pca__api__hsmca__list_audit_records_response__descriptor)) ==
	    NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	if ((out->records = calloc(n > 0 ? n : 1, sizeof(void *))) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		Pca__Api__Hsmca__AuditRecord *s;

		s = (void *)msg_new(&pca__api__hsmca__audit_record__descriptor);
		if (s == NULL) {
			rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
		out->records[out->n_records++] = s;
		s->has_sequence = s->has_time = s->has_allowed = 1;
		s->sequence = a[i].seq;
		s->time = (double)a[i].at_ms / 1000.0;
		s->allowed = a[i].allowed;
		s->caller = xstrdup(a[i].caller);
		s->action = xstrdup(a[i].action);
		s->resource = xstrdup(a[i].resource);
		s->policy = xstrdup(a[i].policy != NULL ? a[i].policy : "");
		s->sid = xstrdup(a[i].sid != NULL ? a[i].sid : "");
		s->reason = xstrdup(a[i].reason != NULL ? a[i].reason : "");
		hex_of(a[i].hash, sizeof(a[i].hash), hash);
		s->hash = xstrdup(hash);
		out->has_last = 1;
		out->last = a[i].seq;
	}
	rc = 0;
 out:
	store_audit_list_free(a, n);
	return rc;
}

#define EVENTS_PAGE_MAX	1000

/* The owner's view of managed renewals: one event per attempt. */
int
hsmca_list_renewal_events(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Hsmca__ListRenewalEventsRequest *in = (const void *)in_;
	Pca__Api__Hsmca__ListRenewalEventsResponse *out;
	struct store_renewal_event *ev = NULL;
	const char *cert_id = NULL;
	size_t n = 0, limit = EVENTS_PAGE_MAX;
	char arn_prefix[128];
	int r, rc = -1;

	if (in->has_max_results && in->max_results > 0 && (size_t)in->max_results < limit)
		limit = (size_t)in->max_results;
	if (in->certificate_arn != NULL) {
		const char *slash = strrchr(in->certificate_arn, '/');

		snprintf(arn_prefix, sizeof(arn_prefix), "arn:aws:acm:%s:%s:certificate/",
		    ctx->fe->cfg.region, ctx->caller->account_id);
		if (slash == NULL || strncmp(in->certificate_arn, arn_prefix,
		    strlen(arn_prefix)) != 0 || strlen(slash + 1) != STORE_ACM_ID_LEN)
			return op_fail(ctx, EXC_RESOURCE_NOT_FOUND, "Could not find certificate "
			    "%.200s in this account.", in->certificate_arn);
		cert_id = slash + 1;
	}
	r = store_renewal_event_list(ctx->fe->store, ctx->caller->account_id, cert_id,
	    in->has_after ? in->after : 0, limit, &ev, &n);
	if (r == PCA_ERR_NOT_FOUND)
		return op_fail(ctx, EXC_RESOURCE_NOT_FOUND, "Could not find certificate %.200s.",
		    in->certificate_arn != NULL ? in->certificate_arn : "");
	if (r != 0)
		return fail_store(ctx, r, "renewal events");
	out = (void *)msg_new(&pca__api__hsmca__list_renewal_events_response__descriptor);
	if (out == NULL || (out->events = calloc(n > 0 ? n : 1, sizeof(void *))) == NULL) {
		if (out != NULL)
			protobuf_c_message_free_unpacked(&out->base, NULL);
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	for (size_t i = 0; i < n; i++) {
		Pca__Api__Hsmca__RenewalEvent *e;
		char arn[200];

		if ((e = (void *)msg_new(&pca__api__hsmca__renewal_event__descriptor)) == NULL) {
			rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
		out->events[out->n_events++] = e;
		snprintf(arn, sizeof(arn), "arn:aws:acm:%s:%s:certificate/%s", ctx->fe->cfg.region,
		    ev[i].account_id, ev[i].cert_id);
		e->has_sequence = e->has_time = 1;
		e->sequence = ev[i].seq;
		e->time = (double)ev[i].at;
		e->certificate_arn = xstrdup(arn);
		e->renewal_status = xstrdup(enum_wire(&pca__api__acm__renewal_status__descriptor,
		    ev[i].renewal_status));
		if (ev[i].reason != 0)
			e->failure_reason = xstrdup(enum_wire(
			    &pca__api__acm__failure_reason__descriptor, ev[i].reason));
		if (ev[i].detail != NULL)
			e->detail = xstrdup(ev[i].detail);
		if (ev[i].new_serial != NULL)
			e->new_serial = xstrdup(ev[i].new_serial);
		out->has_last = 1;
		out->last = ev[i].seq;
	}
	rc = 0;
 out:
	store_renewal_event_list_free(ev, n);
	return rc;
}
