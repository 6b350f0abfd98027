#!/usr/bin/env python3
"""http_api_client.py - the client side of tests/integration/http_api.sh.

Requests to the HTTP API that the aws CLI cannot make (wrong clocks,
malformed bodies, unknown targets), signed by botocore's own SigV4Auth, and
boto3 flows (paginators, ClientError). Credentials and region come from the
environment as the aws CLI finds them (AWS_SHARED_CREDENTIALS_FILE,
AWS_PROFILE, AWS_DEFAULT_REGION).

  http_api_client.py raw ENDPOINT --target T [--body S | --body-size N]
        [--secret S] [--key K] [--skew SECONDS] [--no-sign]
        prints {"status", "type", "message", "request_id", "error_type"}
  http_api_client.py boto ENDPOINT CHECK [ARGS...]
        runs one boto3 check; prints a JSON result; exit 1 on a failed check
"""
import argparse
import datetime
import json
import sys
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.session
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

SIGNING = {
    "ACMPrivateCA": "acm-pca",
    "CertificateManager": "acm",
    "AWSOrganizationsV20161128": "organizations",
    "HsmcaAdmin": "hsmca",
}


def session_creds():
    s = botocore.session.get_session()
    c = s.get_credentials()
    region = s.get_config_variable("region") or "us-east-1"
    return c.get_frozen_credentials(), region


def skewed_clock(seconds):
    """botocore.auth's clock moved by seconds (newer botocore reads it
    through get_current_datetime, older through datetime.datetime)."""
    def now():
        return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + \
            datetime.timedelta(seconds=seconds)
    if hasattr(botocore.auth, "get_current_datetime"):
        botocore.auth.get_current_datetime = now
    else:
        class Shim(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return now()
        botocore.auth.datetime.datetime = Shim


def cmd_raw(a):
    creds, region = session_creds()
    body = a.body.encode() if a.body is not None else b"{}"
    if a.body_size:
        body = b'{"X":"' + b"a" * a.body_size + b'"}'
    headers = {"Content-Type": a.content_type}
    if a.target:
        headers["X-Amz-Target"] = a.target
    req = AWSRequest(method="POST", url=a.endpoint.rstrip("/") + "/", data=body,
                     headers=headers)
    if not a.no_sign:
        if a.skew:
            skewed_clock(a.skew)
        key = a.key or creds.access_key
        secret = a.secret or creds.secret_key
        prefix = (a.target or "ACMPrivateCA.x").split(".")[0]
        signer = botocore.auth.SigV4Auth(Credentials(key, secret, creds.token),
                                         SIGNING.get(prefix, "acm-pca"), region)
        signer.add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=prepared.body,
                               headers=dict(prepared.headers), method="POST")
    try:
        resp = urllib.request.urlopen(r, timeout=30)
        status, text, hdrs = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        status, text, hdrs = e.code, e.read(), e.headers
    try:
        doc = json.loads(text) if text else {}
    except ValueError:
        doc = {"raw": text.decode(errors="replace")}
    print(json.dumps({
        "status": status,
        "type": doc.get("__type"),
        "message": doc.get("message"),
        "request_id": hdrs.get("x-amzn-RequestId"),
        "error_type": hdrs.get("x-amzn-ErrorType"),
        "body": doc,
    }))


def client(endpoint, service, **kw):
    return boto3.client(service, endpoint_url=endpoint, **kw)


def expect_client_error(fn, code, status=None):
    try:
        fn()
    except ClientError as e:
        got = e.response["Error"]["Code"]
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        ok = got == code and (status is None or got_status == status)
        return {"ok": ok, "code": got, "status": got_status,
                "message": e.response["Error"].get("Message")}
    return {"ok": False, "code": None, "status": 200}


def cmd_boto(a):
    _, region = session_creds()
    ep = a.endpoint
    res = {}
    if a.check == "paginate":
        # every CA once, one per page
        pca = client(ep, "acm-pca")
        pages = pca.get_paginator("list_certificate_authorities").paginate(
            PaginationConfig={"PageSize": 1})
        arns, n = [], 0
        for page in pages:
            n += 1
            arns += [c["Arn"] for c in page["CertificateAuthorities"]]
        res = {"pages": n, "arns": arns, "ok": n >= int(a.args[0]) and
               len(set(arns)) == len(arns) == int(a.args[0])}
    elif a.check == "describe":
        pca = client(ep, "acm-pca")
        d = pca.describe_certificate_authority(CertificateAuthorityArn=a.args[0])
        ca = d["CertificateAuthority"]
        res = {"status": ca["Status"], "created_is_datetime":
               isinstance(ca["CreatedAt"], datetime.datetime),
               "ok": ca["Status"] == "ACTIVE"}
    elif a.check == "waiter":
        pca = client(ep, "acm-pca")
        pca.get_waiter("certificate_issued").wait(
            CertificateAuthorityArn=a.args[0], CertificateArn=a.args[1],
            WaiterConfig={"Delay": 1, "MaxAttempts": 10})
        res = {"ok": True}
    elif a.check == "not-found":
        pca = client(ep, "acm-pca")
        res = expect_client_error(lambda: pca.describe_certificate_authority(
            CertificateAuthorityArn=a.args[0]), "ResourceNotFoundException", 400)
    elif a.check == "wrong-secret":
        creds, _ = session_creds()
        pca = client(ep, "acm-pca", aws_access_key_id=creds.access_key,
                     aws_secret_access_key="wrong" + creds.secret_key[5:])
        res = expect_client_error(pca.list_certificate_authorities,
                                  "InvalidSignatureException", 403)
    elif a.check == "unknown-key":
        pca = client(ep, "acm-pca", aws_access_key_id="AKIAUNKNOWNKEY000000",
                     aws_secret_access_key="x" * 40)
        res = expect_client_error(pca.list_certificate_authorities,
                                  "UnrecognizedClientException", 400)
    elif a.check == "organizations":
        org = client(ep, "organizations")
        res = expect_client_error(org.describe_organization,
                                  "AWSOrganizationsNotInUseException", 400)
    elif a.check == "acm-list":
        acm = client(ep, "acm")
        # EC keys are listed only when asked for (AWS lists RSA by default)
        pages = acm.get_paginator("list_certificates").paginate(
            Includes={"keyTypes": ["EC_prime256v1"]}, PaginationConfig={"PageSize": 1})
        arns = [c["CertificateArn"] for p in pages for c in p["CertificateSummaryList"]]
        res = {"arns": arns, "ok": a.args[0] in arns}
    else:
        print("unknown check " + a.check, file=sys.stderr)
        sys.exit(2)
    res["region"] = region
    print(json.dumps(res, default=str))
    sys.exit(0 if res.get("ok") else 1)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("raw")
    r.add_argument("endpoint")
    r.add_argument("--target")
    r.add_argument("--body")
    r.add_argument("--body-size", type=int, default=0)
    r.add_argument("--secret")
    r.add_argument("--key")
    r.add_argument("--skew", type=int, default=0)
    r.add_argument("--no-sign", action="store_true")
    r.add_argument("--content-type", default="application/x-amz-json-1.1")
    b = sub.add_parser("boto")
    b.add_argument("endpoint")
    b.add_argument("check")
    b.add_argument("args", nargs="*")
    a = p.parse_args()
    if a.cmd == "raw":
        cmd_raw(a)
    else:
        cmd_boto(a)


if __name__ == "__main__":
    main()
