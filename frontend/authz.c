#include "authz.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

int
authorize(struct frontend *fe, const struct authz_request *req, char *why, size_t whylen)
{
	(void)fe;
	if (req->resource_account == NULL ||
	    strcmp(req->resource_account, req->caller->account_id) == 0)
		return 0;
	snprintf(why, whylen, "User: %s is not authorized to perform: %s on resource: %s",
	    req->caller->arn, req->action, req->resource);
	log_info("deny %s %s %s", req->caller->arn, req->action, req->resource);
	return PCA_ERR_AUTH;
}
