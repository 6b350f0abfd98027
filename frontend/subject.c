#include "subject.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

static int
add_entry(X509_NAME *name, int nid, ASN1_OBJECT *obj, int type, const char *v,
    char *why, size_t whylen)
{
	int ok;

	if (v == NULL)
		return 0;
	if (v[0] == '\0') {
		snprintf(why, whylen, "subject attribute values must not be empty");
		return PCA_ERR_INVALID;
	}
	if (obj != NULL)
		ok = X509_NAME_add_entry_by_OBJ(name, obj, type, (const unsigned char *)v, -1, -1, 0);
	else
		ok = X509_NAME_add_entry_by_NID(name, nid, type, (const unsigned char *)v, -1, -1, 0);
	if (!ok) {
		snprintf(why, whylen, "subject attribute value \"%.64s\" cannot be encoded", v);
		return PCA_ERR_INVALID;
	}
	return 0;
}

static int
printable(const char *v)
{
	/* X.680 PrintableString characters */
	for (; v != NULL && *v != '\0'; v++)
		if (!isalnum((unsigned char)*v) && strchr(" '()+,-./:=?", *v) == NULL)
			return 0;
	return 1;
}

int
subject_to_der(const Pca__Api__AcmPca__ASN1Subject *s, uint8_t **der, size_t *len,
    char *why, size_t whylen)
{
	const struct { int nid; int printable; const char *v; } std[] = {
		{ NID_countryName, 1, s->country },
		{ NID_organizationName, 0, s->organization },
		{ NID_organizationalUnitName, 0, s->organizational_unit },
		{ NID_dnQualifier, 1, s->distinguished_name_qualifier },
		{ NID_stateOrProvinceName, 0, s->state },
		{ NID_commonName, 0, s->common_name },
		{ NID_serialNumber, 1, s->serial_number },
		{ NID_localityName, 0, s->locality },
		{ NID_title, 0, s->title },
		{ NID_surname, 0, s->surname },
		{ NID_givenName, 0, s->given_name },
		{ NID_initials, 0, s->initials },
		{ NID_pseudonym, 0, s->pseudonym },
		{ NID_generationQualifier, 0, s->generation_qualifier },
	};
	X509_NAME *name = NULL;
	ASN1_OBJECT *obj = NULL;
	unsigned char *p = NULL;
	int n_std = 0, r = PCA_ERR_INVALID, dl;

	*der = NULL;
	*len = 0;
	if ((name = X509_NAME_new()) == NULL)
		return PCA_ERR_NOMEM;
	for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
		if (std[i].v != NULL)
			n_std++;
	if (n_std > 0 && s->n_custom_attributes > 0) {
		snprintf(why, whylen, "a subject has either standard attributes or "
		    "CustomAttributes, not both");
		goto out;
	}
	if (n_std == 0 && s->n_custom_attributes == 0) {
		snprintf(why, whylen, "the subject has no attributes");
		goto out;
	}
	if (s->country != NULL && (strlen(s->country) != 2 ||
	    !isalpha((unsigned char)s->country[0]) || !isalpha((unsigned char)s->country[1]))) {
		snprintf(why, whylen, "Country must be two letters (ISO 3166)");
		goto out;
	}
	for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++) {
		if (std[i].printable && !printable(std[i].v)) {
			snprintf(why, whylen, "subject attribute \"%.64s\" must use only "
			    "PrintableString characters", std[i].v);
			goto out;
		}
		if ((r = add_entry(name, std[i].nid, NULL,
		    std[i].printable ? V_ASN1_PRINTABLESTRING : MBSTRING_UTF8,
		    std[i].v, why, whylen)) != 0)
			goto out;
	}
	for (size_t i = 0; i < s->n_custom_attributes; i++) {
		const Pca__Api__AcmPca__CustomAttribute *ca = s->custom_attributes[i];
		if ((obj = OBJ_txt2obj(ca->object_identifier, 1)) == NULL) {
			snprintf(why, whylen, "\"%.64s\" is not an object identifier",
			    ca->object_identifier);
			r = PCA_ERR_INVALID;
			goto out;
		}
		if ((r = add_entry(name, 0, obj, MBSTRING_UTF8, ca->value, why, whylen)) != 0)
			goto out;
		ASN1_OBJECT_free(obj);
		obj = NULL;
	}
	if ((dl = i2d_X509_NAME(name, &p)) <= 0) {
		snprintf(why, whylen, "the subject does not encode");
		r = PCA_ERR_INVALID;
		goto out;
	}
	if ((*der = malloc((size_t)dl)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	memcpy(*der, p, (size_t)dl);
	*len = (size_t)dl;
	r = 0;
 out:
	OPENSSL_free(p);
	ASN1_OBJECT_free(obj);
	X509_NAME_free(name);
	return r;
}
