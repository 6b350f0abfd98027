#include "template.h"

#include <string.h>

const struct cert_template *
template_find(const char *arn)
{
	for (size_t i = 0; i < cert_templates_len; i++)
		if (strcmp(cert_templates[i].arn, arn) == 0)
			return &cert_templates[i];
	return NULL;
}
