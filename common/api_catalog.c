#include "api_catalog.h"

#include <string.h>

const struct api_service *
api_service_find(const char *name)
{
	for (size_t i = 0; i < api_services_len; i++)
		if (strcmp(api_services[i].name, name) == 0)
			return &api_services[i];
	return NULL;
}

const struct api_op *
api_op_find(const char *service, const char *name)
{
	for (size_t i = 0; i < api_ops_len; i++)
		if (strcmp(api_ops[i].service->name, service) == 0 &&
		    strcmp(api_ops[i].name, name) == 0)
			return &api_ops[i];
	return NULL;
}

const struct api_op *
api_op_find_cli(const char *service, const char *cli_name)
{
	for (size_t i = 0; i < api_ops_len; i++)
		if (strcmp(api_ops[i].service->name, service) == 0 &&
		    strcmp(api_ops[i].cli_name, cli_name) == 0)
			return &api_ops[i];
	return NULL;
}

const struct api_rule *
api_rules_for(const ProtobufCMessageDescriptor *m, const char *field, size_t *n)
{
	/* a few hundred rules: a linear scan costs less than the JSON
	 * parsing that precedes every call */
	for (size_t i = 0; i < api_rules_len; i++) {
		if (api_rules[i].message != m || strcmp(api_rules[i].field, field) != 0)
			continue;
		size_t j = i;
		while (j < api_rules_len && api_rules[j].message == m &&
		    strcmp(api_rules[j].field, field) == 0)
			j++;
		*n = j - i;
		return &api_rules[i];
	}
	*n = 0;
	return NULL;
}
