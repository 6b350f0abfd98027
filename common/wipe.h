/*
 * wipe.h - secrets hygiene.
 *
 * wipe() clears memory in a way the compiler may not remove. free_wiped()
 * wipes then frees; str_free_wiped() does so for a NUL-terminated string.
 * All three accept NULL.
 */
#ifndef PCA_WIPE_H
#define PCA_WIPE_H

#include <stddef.h>

struct ProtobufCAllocator;

void wipe(void *p, size_t len);
void free_wiped(void *p, size_t len);
void str_free_wiped(char *s);

/*
 * A protobuf-c allocator (malloc and free underneath) whose free wipes the
 * whole block first (malloc_usable_size): for messages that may hold a
 * secret, pass it to ..._unpack() and ..._free_unpacked(). It also wipes
 * what protobuf-c frees itself when an unpack fails half-way, and memory
 * the caller malloc'd into such a message. Mixing it with the default
 * allocator is safe (both end in free()), only less thorough.
 */
extern struct ProtobufCAllocator wipe_pb_allocator;

#endif
