/*
 * admin.h - the administrator's account, made once when an instance is set
 * up (scripts/up runs pca-frontend admin-init).
 *
 * The administrator is the root of the first account; its access key is
 * written as an AWS shared credentials file (mode 0600), so the pca CLI,
 * the aws CLI and boto3 find it through AWS_SHARED_CREDENTIALS_FILE.
 * Running it again keeps the account when the file's key still exists.
 */
#ifndef PCA_ADMIN_H
#define PCA_ADMIN_H

#include "err.h"
#include "frontend.h"

int admin_init(struct frontend *fe, const char *credentials_file, const char *profile) PCA_MUST_CHECK;

/*
 * A standalone account (in no organization) with a root access key
 * written to credentials_file under profile, for a team or a test that
 * needs an account of its own: `pca-frontend add-account`. Running it
 * again with the same file and profile keeps the account.
 */
int admin_add_account(struct frontend *fe, const char *name, const char *credentials_file,
    const char *profile) PCA_MUST_CHECK;

/* A fresh account id (12 digits), access key id ("AKIA" + 16 base32
 * characters) and secret (40 characters), from OpenSSL's RNG. */
int admin_new_account_id(char out[13]) PCA_MUST_CHECK;
int admin_new_access_key(char id[21], char secret[41]) PCA_MUST_CHECK;

#endif
