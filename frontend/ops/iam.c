/*
 * iam.c - the iam operations.
 */
#include "ops.h"

struct op_entry iam_op_table[] = {
	{ 0 },
};
