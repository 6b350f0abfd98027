/*
 * creds.h - resolve the caller's credentials the way the AWS CLI does.
 *
 * Order: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
 * from the environment; otherwise the profile (the explicit one, else
 * AWS_PROFILE, else "default") of the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials): INI sections
 * "[name]" with aws_access_key_id, aws_secret_access_key and optionally
 * aws_session_token. Region: the explicit one, else AWS_REGION, else
 * AWS_DEFAULT_REGION, else the profile's "region" in the AWS config file
 * (AWS_CONFIG_FILE, else ~/.aws/config, section "[profile name]" or
 * "[default]"), else NULL.
 */
#ifndef PCA_CREDS_H
#define PCA_CREDS_H

#include <stddef.h>

#include "err.h"

struct creds {
	char	*access_key_id;
	char	*secret_access_key;	/* wiped by creds_clear() */
	char	*session_token;		/* NULL without temporary credentials */
	char	*region;		/* NULL when none is configured */
};

/* profile/region may be NULL (then the environment decides). Errors:
 * PCA_ERR_NOT_FOUND with why "Unable to locate credentials. ..." as the
 * AWS CLI says it, PCA_ERR_CONFIG for an unreadable or malformed file or a
 * missing profile ("The config profile (x) could not be found"). */
int creds_resolve(const char *profile, const char *region, struct creds *out,
    char *why, size_t whylen) PCA_MUST_CHECK;
void creds_clear(struct creds *c);

/* Write a shared credentials file with one [profile] section (mode 0600,
 * created atomically: temporary file, fsync, rename). */
int creds_write_file(const char *path, const char *profile, const char *access_key_id,
    const char *secret) PCA_MUST_CHECK;

#endif
