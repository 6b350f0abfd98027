/*
 * der.h - reading and writing DER headers by hand, for the few places in the
 * signer that look at bytes without OpenSSL's ASN.1 decoder: spki.c (the
 * subject key, which OpenSSL 3.0 would otherwise run through its slow
 * provider decoder) and tbs.c (the signed certificate it assembles itself).
 *
 * Only DER is read: low tag numbers, definite lengths in their shortest
 * form, no more than 4 length octets. Anything else is refused, so a caller
 * that accepts what these functions accept never accepts BER.
 */
#ifndef PCA_DER_H
#define PCA_DER_H

#include <stddef.h>
#include <stdint.h>

#define DER_SEQUENCE		0x30
#define DER_INTEGER		0x02
#define DER_BIT_STRING		0x03
#define DER_NULL		0x05
#define DER_OID			0x06
#define DER_CONTEXT_0		0xa0	/* [0], constructed */

/*
 * One DER TLV at the start of p[0..len): its tag, header length and total
 * length (header and contents). 0, or -1 when p[0..len) does not start
 * with one.
 */
int der_tlv(const uint8_t *p, size_t len, uint8_t *tag, size_t *hdr, size_t *total);

/*
 * One TLV with tag want at *p (p < end): *content and *content_len get its
 * contents, *p moves past it. -1 when there is none (another tag, a bad
 * header, or contents running past end); *p is unchanged then.
 */
int der_next(const uint8_t **p, const uint8_t *end, uint8_t want,
    const uint8_t **content, size_t *content_len);

/* The DER length octets of n into out (NULL: only count them); how many. */
size_t der_len_put(size_t n, uint8_t *out);

#endif
