#!/usr/bin/env python3
"""http_query_client.py - the client side of tests/integration/http_query.sh.

Query-protocol (iam, sts) requests the aws CLI cannot make (no Action, an
unknown one, a malformed form, a clock outside the window), signed by
botocore's own SigV4Auth, and boto3 flows (paginators, typed errors, decoded
policy documents). Credentials and region come from the environment as the
aws CLI finds them.

  http_query_client.py raw ENDPOINT --service iam|sts --body S
        [--secret S] [--key K] [--skew SECONDS] [--no-sign] [--get]
        prints {"status", "code", "type", "message", "request_id", "xmlns",
        "body"}
  http_query_client.py boto ENDPOINT CHECK [ARGS...]
        runs one boto3 check; prints a JSON result; exit 1 on a failed check
"""
import argparse
import datetime
import json
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import botocore.auth
import botocore.session
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError


def session_creds():
    s = botocore.session.get_session()
    c = s.get_credentials()
    region = s.get_config_variable("region") or "us-east-1"
    return c.get_frozen_credentials(), region


def skewed_clock(seconds):
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


def local(tag):
    return tag.rsplit("}", 1)[-1]


def find(root, name):
    for e in root.iter():
        if local(e.tag) == name:
            return e.text
    return None


def cmd_raw(a):
    creds, region = session_creds()
    base = a.endpoint.rstrip("/") + "/"
    if a.get:
        req = AWSRequest(method="GET", url=base + "?" + a.body)
    else:
        req = AWSRequest(method="POST", url=base, data=a.body.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    if not a.no_sign:
        if a.skew:
            skewed_clock(a.skew)
        signer = botocore.auth.SigV4Auth(
            Credentials(a.key or creds.access_key, a.secret or creds.secret_key,
                        creds.token), a.service, region)
        signer.add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=prepared.body,
                               headers=dict(prepared.headers), method=prepared.method)
    try:
        resp = urllib.request.urlopen(r, timeout=30)
        status, text, hdrs = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        status, text, hdrs = e.code, e.read(), e.headers
    out = {"status": status, "request_id": hdrs.get("x-amzn-RequestId"),
           "content_type": hdrs.get("Content-Type"), "body": text.decode(errors="replace")}
    try:
        root = ET.fromstring(text)
        out.update({"root": local(root.tag), "xmlns": root.tag[1:].split("}")[0]
                    if root.tag.startswith("{") else None,
                    "code": find(root, "Code"), "type": find(root, "Type"),
                    "message": find(root, "Message"), "rid": find(root, "RequestId")})
    except ET.ParseError:
        out["root"] = None
    print(json.dumps(out))


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
                "type": e.response["Error"].get("Type"),
                "message": e.response["Error"].get("Message")}
    return {"ok": False, "code": None, "status": 200}


def cmd_boto(a):
    _, region = session_creds()
    ep = a.endpoint
    res = {}
    if a.check == "paginate-users":
        # ListUsers one user a page (Marker / IsTruncated): every user once
        iam = client(ep, "iam")
        names, n = [], 0
        for page in iam.get_paginator("list_users").paginate(
                PaginationConfig={"PageSize": 1}):
            n += 1
            names += [u["UserName"] for u in page["Users"]]
        want = sorted(a.args)
        res = {"pages": n, "names": names,
               "ok": n >= len(want) and len(set(names)) == len(names) and
               all(w in names for w in want)}
    elif a.check == "user":
        iam = client(ep, "iam")
        u = iam.get_user(UserName=a.args[0])["User"]
        res = {"name": u["UserName"], "arn": u["Arn"], "tags": u.get("Tags"),
               "created_is_datetime": isinstance(u["CreateDate"], datetime.datetime),
               "ok": u["UserName"] == a.args[0] and
               isinstance(u["CreateDate"], datetime.datetime)}
    elif a.check == "user-policy":
        # the document comes URL-encoded; botocore decodes it into a dict
        iam = client(ep, "iam")
        d = iam.get_user_policy(UserName=a.args[0], PolicyName=a.args[1])
        doc = d["PolicyDocument"]
        res = {"doc": doc, "ok": isinstance(doc, dict) and "Statement" in doc}
    elif a.check == "role":
        iam = client(ep, "iam")
        r = iam.get_role(RoleName=a.args[0])["Role"]
        doc = r["AssumeRolePolicyDocument"]
        res = {"arn": r["Arn"], "doc": doc, "ok": isinstance(doc, dict)}
    elif a.check == "no-such-user":
        iam = client(ep, "iam")
        res = expect_client_error(lambda: iam.get_user(UserName=a.args[0]),
                                  "NoSuchEntity", 404)
        res["ok"] = res["ok"] and res["type"] == "Sender"
    elif a.check == "user-exists":
        iam = client(ep, "iam")
        res = expect_client_error(lambda: iam.create_user(UserName=a.args[0]),
                                  "EntityAlreadyExists", 409)
    elif a.check == "typed-exception":
        # the modelled exception class, as botocore maps Error/Code
        iam = client(ep, "iam")
        try:
            iam.get_user(UserName=a.args[0])
            res = {"ok": False}
        except iam.exceptions.NoSuchEntityException as e:
            res = {"ok": True, "code": e.response["Error"]["Code"]}
    elif a.check == "caller":
        sts = client(ep, "sts")
        i = sts.get_caller_identity()
        res = {"arn": i["Arn"], "account": i["Account"], "user_id": i["UserId"],
               "ok": i["Arn"] == a.args[0]}
    elif a.check == "assume-role":
        # AssumeRole, then the session credentials against sts and acm-pca
        sts = client(ep, "sts")
        c = sts.assume_role(RoleArn=a.args[0], RoleSessionName="boto",
                            DurationSeconds=900)["Credentials"]
        kw = {"aws_access_key_id": c["AccessKeyId"],
              "aws_secret_access_key": c["SecretAccessKey"],
              "aws_session_token": c["SessionToken"]}
        who = client(ep, "sts", **kw).get_caller_identity()["Arn"]
        cas = client(ep, "acm-pca", **kw).list_certificate_authorities()
        res = {"arn": who, "expiration_is_datetime":
               isinstance(c["Expiration"], datetime.datetime),
               "ok": who.endswith(":assumed-role/%s/boto" % a.args[0].split("/")[-1]) and
               "CertificateAuthorities" in cas}
    elif a.check == "wrong-secret":
        creds, _ = session_creds()
        sts = client(ep, "sts", aws_access_key_id=creds.access_key,
                     aws_secret_access_key="wrong" + creds.secret_key[5:])
        res = expect_client_error(sts.get_caller_identity, "SignatureDoesNotMatch", 403)
    elif a.check == "unknown-key":
        iam = client(ep, "iam", aws_access_key_id="AKIAUNKNOWNKEY000000",
                     aws_secret_access_key="x" * 40)
        res = expect_client_error(iam.list_users, "InvalidClientTokenId", 403)
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
    r.add_argument("--service", default="iam")
    r.add_argument("--body", default="")
    r.add_argument("--secret")
    r.add_argument("--key")
    r.add_argument("--skew", type=int, default=0)
    r.add_argument("--no-sign", action="store_true")
    r.add_argument("--get", action="store_true")
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
