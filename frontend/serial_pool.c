#include "serial_pool.h"
#include "log.h"
#include "signer_client.h"
#include "wipe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct serial_pool {
	pthread_mutex_t	 mu;
	uint8_t		 buf[SERIAL_POOL_BATCH * SERIAL_LEN];
	size_t		 avail;		/* serials left at the end of buf */
};

int
serial_pool_new(struct serial_pool **out)
{
	struct serial_pool *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return PCA_ERR_NOMEM;
	pthread_mutex_init(&p->mu, NULL);
	*out = p;
	return 0;
}

void
serial_pool_free(struct serial_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->mu);
	free_wiped(p, sizeof(*p));	/* unissued serials need not outlive us */
}

int
serial_pool_next(struct serial_pool *p, struct signer_conn *conn, uint8_t out[SERIAL_LEN])
{
	uint8_t fresh[sizeof(p->buf)];
	char why[256];
	int r;

	pthread_mutex_lock(&p->mu);
	if (p->avail > 0)
		goto take;
	pthread_mutex_unlock(&p->mu);
	/* refill without holding the lock across the signer round trip */
	if ((r = signer_client_random(conn, fresh, sizeof(fresh), why, sizeof(why))) != 0) {
		log_warn_fr(r, "serials: %s", why);
		return r;
	}
	pthread_mutex_lock(&p->mu);
	if (p->avail == 0) {
		memcpy(p->buf, fresh, sizeof(fresh));
		p->avail = SERIAL_POOL_BATCH;
	}
	wipe(fresh, sizeof(fresh));
 take:
	p->avail--;
	memcpy(out, p->buf + p->avail * SERIAL_LEN, SERIAL_LEN);
	wipe(p->buf + p->avail * SERIAL_LEN, SERIAL_LEN);
	pthread_mutex_unlock(&p->mu);
	out[0] &= 0x7f;			/* positive */
	if (out[0] == 0)
		out[0] = 0x01;		/* 16 octets, no leading zero to strip */
	return 0;
}
