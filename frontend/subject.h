/*
 * subject.h - the acm-pca ASN1Subject shape <-> X.509 Name.
 *
 * RDNs are written in the model's member order (C, O, OU, DNQ, ST, CN,
 * serialNumber, L, title, SN, GN, initials, pseudonym, generationQualifier),
 * one attribute per RDN; CustomAttributes (OID + value) replace the standard
 * ones and keep their order. Strings are UTF8String, except countryName,
 * serialNumber and dnQualifier, which X.520 makes PrintableString.
 */
#ifndef PCA_SUBJECT_H
#define PCA_SUBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "acm_pca.pb-c.h"
#include "err.h"

/* DER Name of s; PCA_ERR_INVALID with why for an empty subject, a country
 * that is not two letters, custom attributes mixed with standard ones, a
 * bad OID or a value that does not encode. */
int subject_to_der(const Pca__Api__AcmPca__ASN1Subject *s, uint8_t **der, size_t *len,
    char *why, size_t whylen) PCA_MUST_CHECK;

#endif
