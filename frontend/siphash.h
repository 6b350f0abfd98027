/*
 * siphash.h - SipHash-2-4 (Aumasson, Bernstein), a keyed pseudorandom
 * function for hash tables whose keys clients choose: without the key
 * nobody can predict which bucket an input lands in, or find two inputs
 * with the same output.
 *
 * The 128-bit variant is the one of the reference implementation
 * (vectors_sip128); the bytes of out are those of its test vectors.
 */
#ifndef PCA_SIPHASH_H
#define PCA_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN		16

/* 64-bit output. */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len);
/* 128-bit output as two words: out[0] || out[1] are the 16 bytes of the
 * reference tag, each word read little-endian. */
void siphash24_128(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len,
    uint64_t out[2]);

#endif
