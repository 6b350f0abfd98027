/*
 * gname.h - the acm-pca GeneralName / AccessDescription shapes -> DER.
 */
#ifndef PCA_GNAME_H
#define PCA_GNAME_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/x509v3.h>

#include "acm_pca.pb-c.h"
#include "err.h"

/* One GENERAL_NAME from the shape (exactly one member must be set).
 * PCA_ERR_INVALID with why otherwise. */
int gname_from_shape(const Pca__Api__AcmPca__GeneralName *g, GENERAL_NAME **out,
    char *why, size_t whylen) PCA_MUST_CHECK;
/* DER SubjectInfoAccessSyntax of a list of AccessDescription shapes. */
int gname_sia_der(Pca__Api__AcmPca__AccessDescription *const *ads, size_t n,
    uint8_t **der, size_t *len, char *why, size_t whylen) PCA_MUST_CHECK;

#endif
