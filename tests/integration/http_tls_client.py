#!/usr/bin/env python3
"""http_tls_client.py - the boto3 side of tests/integration/http_tls.sh.

Credentials and region come from the environment as the aws CLI finds them.

  http_tls_client.py flow ENDPOINT BUNDLE WORKDIR
        over HTTPS with verify=BUNDLE: a root CA the AWS way (create, the
        CSR-created waiter, issue RootCACertificate/V1, the issued waiter,
        import), the acm.amazonaws.com permission, a leaf from
        WORKDIR/leaf.csr, an acm certificate from the CA and the
        certificate_validated waiter. Writes WORKDIR/boto-ca.pem and
        WORKDIR/boto-leaf.pem; prints a JSON summary.
  http_tls_client.py list ENDPOINT BUNDLE
        list_certificate_authorities with verify=BUNDLE; prints {"count": N}
  http_tls_client.py unverified ENDPOINT
        the same endpoint without the bundle (verify=True): must fail with
        certificate verify failed; prints {"error": ...}, exit 0 if so.
"""
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import SSLError

ROOT_TEMPLATE = "arn:aws:acm-pca:::template/RootCACertificate/V1"
# waiters poll every second, at most a minute (the models say 3 s / 60 s)
FAST = {"Delay": 1, "MaxAttempts": 60}


def clients(endpoint, verify):
    cfg = Config(retries={"max_attempts": 1})
    return (boto3.client("acm-pca", endpoint_url=endpoint, verify=verify, config=cfg),
            boto3.client("acm", endpoint_url=endpoint, verify=verify, config=cfg))


def cmd_flow(endpoint, bundle, work):
    pca, acm = clients(endpoint, bundle)
    ca = pca.create_certificate_authority(
        CertificateAuthorityType="ROOT",
        CertificateAuthorityConfiguration={
            "KeyAlgorithm": "EC_prime256v1", "SigningAlgorithm": "SHA256WITHECDSA",
            "Subject": {"CommonName": "boto3 TLS Root CA"}})["CertificateAuthorityArn"]
    pca.get_waiter("certificate_authority_csr_created").wait(
        CertificateAuthorityArn=ca, WaiterConfig=FAST)
    csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=ca)["Csr"]
    root = pca.issue_certificate(
        CertificateAuthorityArn=ca, Csr=csr.encode(), SigningAlgorithm="SHA256WITHECDSA",
        Validity={"Value": 5, "Type": "YEARS"}, TemplateArn=ROOT_TEMPLATE)["CertificateArn"]
    pca.get_waiter("certificate_issued").wait(
        CertificateAuthorityArn=ca, CertificateArn=root, WaiterConfig=FAST)
    ca_pem = pca.get_certificate(CertificateAuthorityArn=ca, CertificateArn=root)["Certificate"]
    pca.import_certificate_authority_certificate(CertificateAuthorityArn=ca,
                                                 Certificate=ca_pem.encode())
    status = pca.describe_certificate_authority(
        CertificateAuthorityArn=ca)["CertificateAuthority"]["Status"]
    pca.create_permission(CertificateAuthorityArn=ca, Principal="acm.amazonaws.com",
                          Actions=["IssueCertificate", "GetCertificate", "ListPermissions"])
    perms = pca.list_permissions(CertificateAuthorityArn=ca)["Permissions"]
    with open(os.path.join(work, "leaf.csr"), "rb") as f:
        leaf = pca.issue_certificate(
            CertificateAuthorityArn=ca, Csr=f.read(), SigningAlgorithm="SHA256WITHECDSA",
            Validity={"Value": 30, "Type": "DAYS"})["CertificateArn"]
    pca.get_waiter("certificate_issued").wait(
        CertificateAuthorityArn=ca, CertificateArn=leaf, WaiterConfig=FAST)
    leaf_pem = pca.get_certificate(CertificateAuthorityArn=ca, CertificateArn=leaf)["Certificate"]
    with open(os.path.join(work, "boto-ca.pem"), "w") as f:
        f.write(ca_pem + "\n")
    with open(os.path.join(work, "boto-leaf.pem"), "w") as f:
        f.write(leaf_pem + "\n")
    managed = acm.request_certificate(DomainName="boto.example.com", CertificateAuthorityArn=ca,
                                      KeyAlgorithm="EC_prime256v1")["CertificateArn"]
    acm.get_waiter("certificate_validated").wait(CertificateArn=managed, WaiterConfig=FAST)
    managed_status = acm.describe_certificate(CertificateArn=managed)["Certificate"]["Status"]
    print(json.dumps({
        "ca": ca, "status": status,
        "permissions": [[p["Principal"], sorted(p["Actions"])] for p in perms],
        "leaf": leaf, "managed_status": managed_status,
    }))
    return 0


def cmd_list(endpoint, bundle):
    pca, _ = clients(endpoint, bundle)
    cas = pca.list_certificate_authorities()["CertificateAuthorities"]
    print(json.dumps({"count": len(cas)}))
    return 0


def cmd_unverified(endpoint):
    pca, _ = clients(endpoint, True)
    try:
        pca.list_certificate_authorities(MaxResults=1)
    except SSLError as e:
        print(json.dumps({"error": str(e)}))
        return 0 if "CERTIFICATE_VERIFY_FAILED" in str(e) else 1
    print(json.dumps({"error": None}))
    return 1


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "flow":
        return cmd_flow(*sys.argv[2:])
    if len(sys.argv) == 4 and sys.argv[1] == "list":
        return cmd_list(*sys.argv[2:])
    if len(sys.argv) == 3 and sys.argv[1] == "unverified":
        return cmd_unverified(sys.argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
