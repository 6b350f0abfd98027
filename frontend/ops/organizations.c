/*
 * organizations.c - the organizations operations.
 */
#include "ops.h"

struct op_entry organizations_op_table[] = {
	{ 0 },
};
