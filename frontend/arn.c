#include "arn.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#define CA_PREFIX	"certificate-authority/"
#define CERT_INFIX	"/certificate/"

static int
copy_part(char *dst, size_t dlen, const char *src, size_t n)
{
	if (n >= dlen)
		return PCA_ERR_INVALID;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int
arn_parse(const char *s, struct arn *a)
{
	const char *p[5];
	const char *cur;
	size_t len;

	memset(a, 0, sizeof(*a));
	if (s == NULL || (len = strlen(s)) == 0 || len > ARN_MAX || strncmp(s, "arn:", 4) != 0)
		return PCA_ERR_INVALID;
	for (const char *c = s; *c != '\0'; c++)
		if ((unsigned char)*c < 0x21 || *c == 0x7f)
			return PCA_ERR_INVALID;
	/* five ':' separators after "arn"; the resource may contain more */
	cur = s + 4;
	for (int i = 0; i < 4; i++) {
		if ((p[i] = strchr(cur, ':')) == NULL)
			return PCA_ERR_INVALID;
		cur = p[i] + 1;
	}
	p[4] = NULL;
	if (copy_part(a->partition, sizeof(a->partition), s + 4, (size_t)(p[0] - (s + 4))) != 0 ||
	    copy_part(a->service, sizeof(a->service), p[0] + 1, (size_t)(p[1] - p[0] - 1)) != 0 ||
	    copy_part(a->region, sizeof(a->region), p[1] + 1, (size_t)(p[2] - p[1] - 1)) != 0 ||
	    copy_part(a->account, sizeof(a->account), p[2] + 1, (size_t)(p[3] - p[2] - 1)) != 0 ||
	    copy_part(a->resource, sizeof(a->resource), p[3] + 1, strlen(p[3] + 1)) != 0)
		return PCA_ERR_INVALID;
	if (a->partition[0] == '\0' || a->service[0] == '\0' || a->resource[0] == '\0')
		return PCA_ERR_INVALID;
	return 0;
}

static int
account_valid(const char *s)
{
	if (strlen(s) != 12)
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int
uuid_valid(const char *s)
{
	static const int dash[] = { 8, 13, 18, 23 };

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		int is_dash = i == dash[0] || i == dash[1] || i == dash[2] || i == dash[3];
		if (is_dash ? s[i] != '-' :
		    !(isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

int
arn_parse_ca(const char *s, struct arn *a, char ca_id[37])
{
	const char *id;

	if (arn_parse(s, a) != 0 || strcmp(a->service, "acm-pca") != 0 ||
	    !account_valid(a->account) || a->region[0] == '\0' ||
	    strncmp(a->resource, CA_PREFIX, strlen(CA_PREFIX)) != 0)
		return PCA_ERR_INVALID;
	id = a->resource + strlen(CA_PREFIX);
	if (!uuid_valid(id))
		return PCA_ERR_INVALID;
	memcpy(ca_id, id, 37);
	return 0;
}

int
arn_parse_cert(const char *s, char *ca_arn, char ca_id[37], char serial[41])
{
	const char *infix;
	struct arn a;
	size_t n;

	if (s == NULL || strlen(s) > ARN_MAX || (infix = strstr(s, CERT_INFIX)) == NULL)
		return PCA_ERR_INVALID;
	n = (size_t)(infix - s);
	memcpy(ca_arn, s, n);
	ca_arn[n] = '\0';
	if (arn_parse_ca(ca_arn, &a, ca_id) != 0)
		return PCA_ERR_INVALID;
	infix += strlen(CERT_INFIX);
	n = strlen(infix);
	if (n == 0 || n > 40)
		return PCA_ERR_INVALID;
	for (size_t i = 0; i < n; i++)
		if (!(isdigit((unsigned char)infix[i]) || (infix[i] >= 'a' && infix[i] <= 'f')))
			return PCA_ERR_INVALID;
	memcpy(serial, infix, n + 1);
	return 0;
}

void
arn_format_ca(char *out, size_t len, const char *region, const char *account, const char *ca_id)
{
	snprintf(out, len, "arn:aws:acm-pca:%s:%s:" CA_PREFIX "%s", region, account, ca_id);
}

void
arn_format_cert(char *out, size_t len, const char *ca_arn, const char *serial_hex)
{
	snprintf(out, len, "%s" CERT_INFIX "%s", ca_arn, serial_hex);
}

int
uuid_generate(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return PCA_ERR_CRYPTO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
	    b[12], b[13], b[14], b[15]);
	return 0;
}

int
uuid_to_bytes(const char *s, unsigned char out[16])
{
	int j = 0;

	if (!uuid_valid(s))
		return PCA_ERR_INVALID;
	for (int i = 0; i < 36 && j < 16; i++) {
		unsigned v;
		if (s[i] == '-')
			continue;
		if (sscanf(s + i, "%2x", &v) != 1)
			return PCA_ERR_INVALID;
		out[j++] = (unsigned char)v;
		i++;
	}
	return j == 16 ? 0 : PCA_ERR_INVALID;
}
