/*
 * template.h - AWS Private CA certificate templates, as data
 * (templates_gen.c, generated from spec/templates.json).
 *
 * A template decides the basic constraints, key usage and extended key
 * usage of an issued certificate, and where its subject, SAN, CRL
 * distribution points and other extensions may come from (the CSR, the
 * IssueCertificate ApiPassthrough, the CA's configuration). Template values
 * win over passthrough values.
 */
#ifndef PCA_TEMPLATE_H
#define PCA_TEMPLATE_H

#include <stddef.h>

enum tmpl_kind { TMPL_END_ENTITY, TMPL_SUBORDINATE_CA, TMPL_ROOT_CA };

#define TMPL_FROM_CSR	0x1
#define TMPL_FROM_API	0x2
#define TMPL_FROM_CA	0x4

enum tmpl_aki { TMPL_AKI_NONE, TMPL_AKI_CA, TMPL_AKI_API };

#define TMPL_DEFAULT_ARN	"arn:aws:acm-pca:::template/EndEntityCertificate/V1"

struct cert_template {
	const char	*name;
	const char	*arn;
	enum tmpl_kind	 kind;
	int		 bc_critical, bc_ca, path_len;	/* path_len -1: none */
	int		 has_key_usage;
	unsigned	 key_usage;			/* signer.proto's bits */
	int		 key_usage_critical;
	int		 has_eku;
	const char	*eku[3];			/* dotted OIDs, NULL-terminated */
	int		 eku_critical;
	unsigned	 subject_from;			/* TMPL_FROM_* */
	unsigned	 cdp_from;
	enum tmpl_aki	 aki;
	unsigned	 passthrough;			/* extensions: TMPL_FROM_* */
	int		 cross_account;			/* usable by other accounts */
};

extern const struct cert_template cert_templates[];
extern const size_t cert_templates_len;

/* The template with this ARN, or NULL. */
const struct cert_template *template_find(const char *arn);

#endif
