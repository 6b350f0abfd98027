/*
 * hsmca_admin.c - hsmca's own operations: GetStatus, and with a test clock
 * AdvanceClock and RunScheduler (the frontend refuses those two otherwise,
 * see ops.c OP_TEST_CLOCK).
 */
#include "acmpca.h"
#include "clock.h"
#include "hsmca.pb-c.h"
#include "log.h"
#include "ops.h"
#include "scheduler.h"
#include "signer_client.h"

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

	if (in->has_days)
		secs += in->days * 86400;
	if (in->has_hours)
		secs += in->hours * 3600;
	if (in->has_seconds)
		secs += in->seconds;
	if (clock_advance(secs) != 0)
		return op_fail(ctx, EXC_INVALID_STATE, "The service clock is not a test clock.");
	log_info("service clock moved forward %lld s by %s", (long long)secs, ctx->caller->arn);
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
	*out_ = &out->base;
	return 0;
}
