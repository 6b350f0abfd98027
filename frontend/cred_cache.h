/*
 * cred_cache.h - the SigV4 signing keys of access keys in use.
 *
 * Authenticating a request costs a store lookup of its access key and four
 * HMACs deriving the signing key of the request's scope (common/sigv4.h);
 * both answers stay the same for a key id, day, region and service until
 * the key changes. This cache keeps, per (key id, scope), the derived
 * signing key and who owns the access key, never the secret:
 *  - an entry is added only after a request signed with it verified, so
 *    clients without a valid key cannot fill or churn it;
 *  - entries are valid for one store credentials generation
 *    (store_credentials_generation()): any write of accounts, users or
 *    access keys empties the whole cache before the next lookup, so a key
 *    deactivated or rotated in the store stops working on the next request;
 *  - it is bounded (a fixed table of slots, direct-mapped by a keyed hash;
 *    a new entry replaces the one in its slot) and every key it drops,
 *    replaces or frees is wiped first.
 *
 * THREAD SAFETY: all functions may be called from any thread.
 */
#ifndef PCA_CRED_CACHE_H
#define PCA_CRED_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sigv4.h"
#include "store.h"

#define CRED_CACHE_SLOTS	1024	/* default size (a power of two) */
#define CRED_KEY_ID_MAX		31	/* longer ids are never cached */
#define CRED_USER_MAX		255	/* more than a caller's ARN holds */
#define CRED_ARN_MAX		640	/* a user's ARN with a path of 512 */
#define CRED_REGION_MAX		32
#define CRED_SERVICE_MAX	32

/* Who owns an access key (struct store_access_key without the secret). */
struct cred_owner {
	char	account_id[STORE_ACCOUNT_ID_LEN + 1];
	char	user_name[CRED_USER_MAX + 1];	/* "" for the account root */
	char	user_arn[CRED_ARN_MAX + 1];	/* with the user's path; "" for root */
	int	is_root;
};

struct cred_cache;

/* slots: a power of two, 1..65536. */
int cred_cache_new(size_t slots, struct cred_cache **out) PCA_MUST_CHECK;
/* Wipes every entry. NULL-safe. */
void cred_cache_free(struct cred_cache *cc);

/*
 * The signing key of key_id for the scope date8/region/service, valid at
 * credentials generation gen (read before anything else the caller reads
 * from the store): 0 with key and *owner filled, or PCA_ERR_NOT_FOUND.
 * A gen newer than the cache's empties it first.
 */
int cred_cache_get(struct cred_cache *cc, uint64_t gen, const char *key_id,
    const char *date8, const char *region, const char *service,
    uint8_t key[SIGV4_KEY_LEN], struct cred_owner *owner) PCA_MUST_CHECK;

/*
 * Remember a signing key that just verified a request, learned at
 * generation gen (read before the store lookup that gave the secret). Does
 * nothing when gen is older than the cache's (the store changed since) or
 * a field is too long to keep.
 */
void cred_cache_put(struct cred_cache *cc, uint64_t gen, const char *key_id,
    const char *date8, const char *region, const char *service,
    const uint8_t key[SIGV4_KEY_LEN], const struct cred_owner *owner);

/* Entries held now (for tests). */
size_t cred_cache_size(struct cred_cache *cc);

#endif
