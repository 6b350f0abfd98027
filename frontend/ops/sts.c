/*
 * sts.c - the sts operations.
 */
#include "ops.h"

struct op_entry sts_op_table[] = {
	{ 0 },
};
