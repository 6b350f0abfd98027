/*
 * der.c - DER headers by hand (see der.h).
 */
#include "der.h"

int
der_tlv(const uint8_t *p, size_t len, uint8_t *tag, size_t *hdr, size_t *total)
{
	size_t l = 0, n;

	if (len < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = p[0];
	if (p[1] < 0x80) {
		l = p[1];
		*hdr = 2;
	} else {
		n = p[1] & 0x7f;
		/* 0x80 is BER's indefinite length; a leading 00 is not minimal */
		if (n == 0 || n > 4 || len < 2 + n || p[2] == 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			l = l << 8 | p[2 + i];
		if (l < 0x80)
			return -1;
		*hdr = 2 + n;
	}
	if (l > len - *hdr)
		return -1;
	*total = *hdr + l;
	return 0;
}

int
der_next(const uint8_t **p, const uint8_t *end, uint8_t want,
    const uint8_t **content, size_t *content_len)
{
	size_t hdr, total;
	uint8_t tag;

	if (*p >= end || der_tlv(*p, (size_t)(end - *p), &tag, &hdr, &total) != 0 ||
	    tag != want)
		return -1;
	*content = *p + hdr;
	*content_len = total - hdr;
	*p += total;
	return 0;
}

size_t
der_len_put(size_t n, uint8_t *out)
{
	size_t k = 0, i;

	if (n < 0x80) {
		if (out != NULL)
			out[0] = (uint8_t)n;
		return 1;
	}
	for (size_t t = n; t > 0; t >>= 8)
		k++;
	if (out != NULL) {
		out[0] = (uint8_t)(0x80 | k);
		for (i = 0; i < k; i++)
			out[1 + i] = (uint8_t)(n >> (8 * (k - 1 - i)));
	}
	return 1 + k;
}
