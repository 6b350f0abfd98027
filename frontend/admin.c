#include "admin.h"
#include "clock.h"
#include "creds.h"
#include "log.h"
#include "store.h"
#include "store_iam.h"
#include "wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

int
admin_new_account_id(char out[13])
{
	unsigned char b[12];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return PCA_ERR_CRYPTO;
	for (int i = 0; i < 12; i++)
		out[i] = (char)('0' + b[i] % 10);	/* bias of 256 % 10 is harmless here */
	out[12] = '\0';
	return 0;
}

int
admin_new_access_key(char id[21], char secret[41])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char b[56];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return PCA_ERR_CRYPTO;
	memcpy(id, "AKIA", 4);
	for (int i = 0; i < 16; i++)
		id[4 + i] = b32[b[i] & 31];
	id[20] = '\0';
	for (int i = 0; i < 40; i++)
		secret[i] = b64[b[16 + i] & 63];
	secret[40] = '\0';
	wipe(b, sizeof(b));
	return 0;
}

/* The account of the root key the file's profile names, when this store
 * knows it and it is active: 1 with account filled, else 0. */
static int
existing_root(struct frontend *fe, const char *file, const char *profile, char account[13])
{
	struct store_access_key k;
	struct creds c;
	char why[256];
	int ok = 0;

	if (access(file, F_OK) != 0)
		return 0;
	memset(&k, 0, sizeof(k));
	memset(&c, 0, sizeof(c));
	setenv("AWS_SHARED_CREDENTIALS_FILE", file, 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	if (creds_resolve(profile, NULL, &c, why, sizeof(why)) == 0 &&
	    store_access_key_get(fe->store, c.access_key_id, &k) == 0 && k.active &&
	    k.user_name == NULL) {
		memcpy(account, k.account_id, 13);
		ok = 1;
	}
	store_access_key_clear(&k);
	creds_clear(&c);
	return ok;
}

/* A new account named name with a root access key written to file. */
static int
account_create(struct frontend *fe, const char *name, const char *file, const char *profile,
    char account[13])
{
	struct store_account acct;
	struct store_access_key key;
	char id[21], secret[41];
	int r;

	memset(&acct, 0, sizeof(acct));
	memset(&key, 0, sizeof(key));
	if ((r = admin_new_account_id(acct.id)) != 0 ||
	    (r = admin_new_access_key(id, secret)) != 0)
		goto out;
	acct.name = (char *)name;
	acct.created_at = clock_now();
	if ((r = store_account_put(fe->store, &acct)) != 0) {
		log_error_fr(r, "create account");
		goto out;
	}
	key.id = id;
	key.secret = secret;
	memcpy(key.account_id, acct.id, sizeof(key.account_id));
	key.active = 1;
	key.created_at = acct.created_at;
	if ((r = store_access_key_put(fe->store, &key)) != 0) {
		log_error_fr(r, "create access key");
		goto out;
	}
	if ((r = creds_write_file(file, profile, id, secret)) != 0) {
		log_error_fr(r, "write %s", file);
		goto out;
	}
	memcpy(account, acct.id, 13);
	log_info("account %s (%s) created; root credentials in %s [%s]", acct.id, name, file,
	    profile);
 out:
	wipe(secret, sizeof(secret));
	return r;
}

int
admin_init(struct frontend *fe, const char *file, const char *profile)
{
	char account[13], *known = NULL;
	int r;

	if (existing_root(fe, file, profile, account)) {
		log_info("administrator already set up (%s)", file);
	} else if ((r = account_create(fe, "administrator", file, profile, account)) != 0) {
		return r;
	}
	/* the administrator's account is the one named here first */
	r = store_setting_get(fe->store, "admin_account", &known);
	if (r == PCA_ERR_NOT_FOUND)
		r = store_setting_put(fe->store, "admin_account", account);
	else if (r == 0 && strcmp(known, account) != 0)
		log_warn("the administrator's account is %s, not %s", known, account);
	free(known);
	if (r != 0)
		log_error_fr(r, "record the administrator's account");
	return r;
}

int
admin_add_account(struct frontend *fe, const char *name, const char *file, const char *profile)
{
	char account[13];

	if (existing_root(fe, file, profile, account)) {
		log_info("account %s already set up (%s [%s])", account, file, profile);
		return 0;
	}
	return account_create(fe, name, file, profile, account);
}
