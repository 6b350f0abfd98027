#include "gname.h"
#include "subject.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AM(x) PCA__API__ACM_PCA__ACCESS_METHOD_TYPE__AccessMethodType_##x

static int
ia5(GENERAL_NAME *gn, int type, const char *v)
{
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();

	if (s == NULL || !ASN1_STRING_set(s, v, (int)strlen(v))) {
		ASN1_IA5STRING_free(s);
		return PCA_ERR_NOMEM;
	}
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p > 0x7e || (unsigned char)*p < 0x20) {
			ASN1_IA5STRING_free(s);
			return PCA_ERR_INVALID;
		}
	GENERAL_NAME_set0_value(gn, type, s);
	return 0;
}

int
gname_from_shape(const Pca__Api__AcmPca__GeneralName *g, GENERAL_NAME **out,
    char *why, size_t whylen)
{
	GENERAL_NAME *gn = NULL;
	int set = 0, r = PCA_ERR_INVALID;

	*out = NULL;
	set = (g->other_name != NULL) + (g->rfc822_name != NULL) + (g->dns_name != NULL) +
	    (g->directory_name != NULL) + (g->edi_party_name != NULL) +
	    (g->uniform_resource_identifier != NULL) + (g->ip_address != NULL) +
	    (g->registered_id != NULL);
	if (set != 1) {
		snprintf(why, whylen, "a GeneralName must have exactly one member, not %d", set);
		return PCA_ERR_INVALID;
	}
	if ((gn = GENERAL_NAME_new()) == NULL)
		return PCA_ERR_NOMEM;
	if (g->dns_name != NULL) {
		if ((r = ia5(gn, GEN_DNS, g->dns_name)) != 0)
			snprintf(why, whylen, "DnsName must be ASCII");
	} else if (g->rfc822_name != NULL) {
		if ((r = ia5(gn, GEN_EMAIL, g->rfc822_name)) != 0)
			snprintf(why, whylen, "Rfc822Name must be ASCII");
	} else if (g->uniform_resource_identifier != NULL) {
		if ((r = ia5(gn, GEN_URI, g->uniform_resource_identifier)) != 0)
			snprintf(why, whylen, "UniformResourceIdentifier must be ASCII");
	} else if (g->ip_address != NULL) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(g->ip_address);
		if (ip == NULL) {
			snprintf(why, whylen, "\"%.40s\" is not an IP address", g->ip_address);
		} else {
			GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
			r = 0;
		}
	} else if (g->registered_id != NULL) {
		ASN1_OBJECT *o = OBJ_txt2obj(g->registered_id, 1);
		if (o == NULL) {
			snprintf(why, whylen, "RegisteredId is not an object identifier");
		} else {
			GENERAL_NAME_set0_value(gn, GEN_RID, o);
			r = 0;
		}
	} else if (g->directory_name != NULL) {
		uint8_t *der = NULL;
		size_t len = 0;
		const unsigned char *p;
		X509_NAME *nm;
		if ((r = subject_to_der(g->directory_name, &der, &len, why, whylen)) == 0) {
			p = der;
			if ((nm = d2i_X509_NAME(NULL, &p, (long)len)) == NULL)
				r = PCA_ERR_INVALID;
			else
				GENERAL_NAME_set0_value(gn, GEN_DIRNAME, nm);
		}
		free(der);
	} else if (g->other_name != NULL) {
		ASN1_OBJECT *o = OBJ_txt2obj(g->other_name->type_id, 1);
		ASN1_TYPE *v = ASN1_TYPE_new();
		ASN1_UTF8STRING *u = ASN1_UTF8STRING_new();
		if (o == NULL || v == NULL || u == NULL ||
		    !ASN1_STRING_set(u, g->other_name->value, -1)) {
			snprintf(why, whylen, "OtherName needs an object identifier TypeId");
			ASN1_OBJECT_free(o);
			ASN1_TYPE_free(v);
			ASN1_UTF8STRING_free(u);
		} else {
			ASN1_TYPE_set(v, V_ASN1_UTF8STRING, u);
			if (!GENERAL_NAME_set0_othername(gn, o, v)) {
				ASN1_OBJECT_free(o);
				ASN1_TYPE_free(v);
				r = PCA_ERR_NOMEM;
			} else {
				r = 0;
			}
		}
	} else {
		snprintf(why, whylen, "EdiPartyName is not supported");
	}
	if (r != 0) {
		GENERAL_NAME_free(gn);
		return r;
	}
	*out = gn;
	return 0;
}

int
gname_sia_der(Pca__Api__AcmPca__AccessDescription *const *ads, size_t n,
    uint8_t **der, size_t *len, char *why, size_t whylen)
{
	AUTHORITY_INFO_ACCESS *sia = NULL;	/* same ASN.1 as SubjectInfoAccessSyntax */
	ACCESS_DESCRIPTION *ad = NULL;
	unsigned char *p = NULL;
	int r = PCA_ERR_INVALID, dl;

	*der = NULL;
	*len = 0;
	if ((sia = sk_ACCESS_DESCRIPTION_new_null()) == NULL)
		return PCA_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const Pca__Api__AcmPca__AccessMethod *m = ads[i]->access_method;
		ASN1_OBJECT *o = NULL;

		if ((ad = ACCESS_DESCRIPTION_new()) == NULL) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		if ((m->custom_object_identifier != NULL) == m->has_access_method_type) {
			snprintf(why, whylen, "an AccessMethod needs exactly one of "
			    "CustomObjectIdentifier and AccessMethodType");
			goto out;
		}
		if (m->custom_object_identifier != NULL)
			o = OBJ_txt2obj(m->custom_object_identifier, 1);
		else if (m->access_method_type == AM(CA_REPOSITORY))
			o = OBJ_txt2obj("1.3.6.1.5.5.7.48.5", 1);
		else if (m->access_method_type == AM(RESOURCE_PKI_MANIFEST))
			o = OBJ_txt2obj("1.3.6.1.5.5.7.48.10", 1);
		else if (m->access_method_type == AM(RESOURCE_PKI_NOTIFY))
			o = OBJ_txt2obj("1.3.6.1.5.5.7.48.13", 1);
		if (o == NULL) {
			snprintf(why, whylen, "AccessMethod is not an object identifier");
			goto out;
		}
		ASN1_OBJECT_free(ad->method);
		ad->method = o;
		GENERAL_NAME_free(ad->location);
		ad->location = NULL;
		if ((r = gname_from_shape(ads[i]->access_location, &ad->location, why, whylen)) != 0)
			goto out;
		if (!sk_ACCESS_DESCRIPTION_push(sia, ad)) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		ad = NULL;
	}
	if ((dl = i2d_AUTHORITY_INFO_ACCESS(sia, &p)) <= 0) {
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
	ACCESS_DESCRIPTION_free(ad);
	AUTHORITY_INFO_ACCESS_free(sia);
	return r;
}
