/*
 * siphash.c - SipHash-2-4, 64- and 128-bit outputs (siphash.h).
 */
#include "siphash.h"

#define ROTL64(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);	\
	v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);	\
} while (0)

static uint64_t
le64_load(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* The compression of SipHash-2-4 over data, then its finalization into
 * one word (wide == 0) or two (wide != 0). */
static void
siphash24_run(const uint8_t k[SIPHASH_KEY_LEN], const uint8_t *in, size_t len, int wide,
    uint64_t out[2])
{
	uint64_t k0 = le64_load(k), k1 = le64_load(k + 8);
	uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, full = len - (len % 8);

	if (wide)
		v1 ^= 0xee;
	for (i = 0; i < full; i += 8) {
		m = le64_load(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < len % 8; j++)
		b |= (uint64_t)in[full + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= wide ? 0xee : 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	out[0] = v0 ^ v1 ^ v2 ^ v3;
	if (!wide)
		return;
	v1 ^= 0xdd;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	out[1] = v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len)
{
	uint64_t out[2];

	siphash24_run(key, data, len, 0, out);
	return out[0];
}

void
siphash24_128(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len,
    uint64_t out[2])
{
	siphash24_run(key, data, len, 1, out);
}
