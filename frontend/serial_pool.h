/*
 * serial_pool.h - certificate serial numbers from the token's RNG.
 *
 * A serial is 16 octets (128 bits, of which 127 random): positive (top bit
 * clear) and with a non-zero first octet, so its DER is always 16 octets and
 * its hex always 32 characters. Random bytes are fetched from the signer in
 * blocks (one request per SERIAL_POOL_BATCH serials) and handed out under a
 * mutex; uniqueness per CA is then enforced by the store's unique key.
 */
#ifndef PCA_SERIAL_POOL_H
#define PCA_SERIAL_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SERIAL_LEN		16
#define SERIAL_POOL_BATCH	256

struct serial_pool;
struct signer_conn;

int serial_pool_new(struct serial_pool **out) PCA_MUST_CHECK;
void serial_pool_free(struct serial_pool *p);
/* Next serial; refills through conn when empty (PCA_ERR_UNAVAILABLE when
 * the signer cannot be reached). */
int serial_pool_next(struct serial_pool *p, struct signer_conn *conn,
    uint8_t out[SERIAL_LEN]) PCA_MUST_CHECK;

#endif
