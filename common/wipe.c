#include "wipe.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

void
wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		explicit_bzero(p, len);
}

void
free_wiped(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

void
str_free_wiped(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void *
pb_alloc(void *data, size_t size)
{
	(void)data;
	return malloc(size);
}

static void
pb_free_wiped(void *data, void *p)
{
	(void)data;
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

ProtobufCAllocator wipe_pb_allocator = { pb_alloc, pb_free_wiped, NULL };
