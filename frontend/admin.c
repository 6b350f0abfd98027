#include "admin.h"
#include "clock.h"
#include "creds.h"
#include "log.h"
#include "store.h"
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

/* 1 when the file's profile names an access key this store knows. */
static int
existing_admin(struct frontend *fe, const char *file, const char *profile)
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
	    k.user_name == NULL)
		ok = 1;
	store_access_key_clear(&k);
	creds_clear(&c);
	return ok;
}

int
admin_init(struct frontend *fe, const char *file, const char *profile)
{
	struct store_account acct;
	struct store_access_key key;
	char id[21], secret[41];
	int r;

	if (existing_admin(fe, file, profile)) {
		log_info("administrator already set up (%s)", file);
		return 0;
	}
	memset(&acct, 0, sizeof(acct));
	memset(&key, 0, sizeof(key));
	if ((r = admin_new_account_id(acct.id)) != 0 ||
	    (r = admin_new_access_key(id, secret)) != 0)
		goto out;
	acct.name = "administrator";
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
	log_info("administrator account %s created; credentials in %s [%s]", acct.id, file,
	    profile);
 out:
	wipe(secret, sizeof(secret));
	return r;
}
