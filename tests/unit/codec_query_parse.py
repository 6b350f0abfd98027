#!/usr/bin/env python3
"""Feed codec_query's XML answers to botocore's own QueryParser.

    codec_query_parse.py DIR

DIR holds <service>.<Operation>[.variant].xml files written by
test_codec_query (and <service>.error.xml, an ErrorResponse). Each is parsed
exactly as the aws CLI and boto3 parse an answer: botocore.parsers.
QueryParser with the operation's output shape from the real model
(botocore.session.get_session().get_service_model(...)), which reads the
result under the output's resultWrapper element. The parsed values are
compared with what the C test put in. Prints "ok N files"; exits 1 on the
first difference.
"""
import datetime
import os
import sys

import botocore.handlers
import botocore.session
from botocore.parsers import QueryParser

UTC = datetime.timezone.utc
RID = '7a62c49f-347e-4fc4-9331-6e8eEXAMPLE'


def ts(s):
    return datetime.datetime.fromisoformat(s).replace(tzinfo=UTC)


EXPECTED = {
    'iam.ListUsers.xml': {
        'Users': [
            {'Path': '/', 'UserName': 'alice', 'UserId': 'AIDAEXAMPLE1',
             'Arn': 'arn:aws:iam::123456789012:user/alice',
             'CreateDate': ts('2024-01-02T03:04:05')},
            {'Path': '/eng/', 'UserName': 'b<o>b&co', 'UserId': 'AIDAEXAMPLE2',
             'Arn': 'arn:aws:iam::123456789012:user/eng/b<o>b&co',
             'CreateDate': ts('2024-01-02T03:04:05.500000'),
             'PasswordLastUsed': ts('2024-01-02T12:53:20'),
             'Tags': [{'Key': 'team', 'Value': 'pki "ops"\r\n'}]},
        ],
        'IsTruncated': True,
        'Marker': 'm-2',
    },
    'iam.ListUsers.empty.xml': {'Users': [], 'IsTruncated': False},
    'iam.CreateAccessKey.xml': {
        'AccessKey': {
            'UserName': 'alice', 'AccessKeyId': 'AKIAIOSFODNN7EXAMPLE',
            'Status': 'Active',
            'SecretAccessKey': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
            'CreateDate': ts('2024-01-02T03:04:05')},
    },
    'sts.AssumeRole.xml': {
        'Credentials': {
            'AccessKeyId': 'ASIAEXAMPLE', 'SecretAccessKey': 'secret/+=',
            'SessionToken': 'FwoGZXIvYXdzEXAMPLE==',
            'Expiration': ts('2024-01-02T04:04:05')},
        'AssumedRoleUser': {
            'AssumedRoleId': 'AROAEXAMPLE:s1',
            'Arn': 'arn:aws:sts::123456789012:assumed-role/ops/s1'},
        'PackedPolicySize': 6,
    },
    'sts.GetCallerIdentity.xml': {
        'UserId': 'AIDAEXAMPLE1', 'Account': '123456789012',
        'Arn': 'arn:aws:iam::123456789012:user/alice',
    },
    'iam.DeleteUser.xml': {},
    # URL-encoded on the wire; botocore's after-call handler
    # (json_decode_policies) gives the document back as a dict
    'iam.GetUserPolicy.xml': {
        'UserName': 'alice', 'PolicyName': 'read <all> & more',
        'PolicyDocument': {
            'Version': '2012-10-17',
            'Statement': [{'Effect': 'Allow', 'Action': 'acm-pca:List*',
                           'Resource': '*', 'Sid': 'a+b~c_d.e-f\u00e9\u00e9'}]},
    },
    'iam.GetRole.xml': {
        'Role': {'Path': '/', 'RoleName': 'ops', 'RoleId': 'AROAEXAMPLE',
                 'Arn': 'arn:aws:iam::123456789012:role/ops',
                 'CreateDate': ts('2024-01-02T03:04:05'),
                 'AssumeRolePolicyDocument': {'Version': '2012-10-17', 'Statement': []},
                 'Description': '{"not": "a policy"}'},
    },
    'iam.error.xml': {
        'Error': {'Type': 'Sender', 'Code': 'NoSuchEntity',
                  'Message': 'The user with name <bob> cannot be found.'},
    },
}


def parse(path):
    name = os.path.basename(path)
    svc, op = name.split('.')[:2]
    with open(path, 'rb') as f:
        body = f.read()
    model = botocore.session.get_session().get_service_model(svc)
    parser = QueryParser()
    if op == 'error':
        return parser.parse({'body': body, 'headers': {}, 'status_code': 400}, None)
    om = model.operation_model(op)
    parsed = parser.parse({'body': body, 'headers': {}, 'status_code': 200},
                          om.output_shape)
    if svc == 'iam':
        botocore.handlers.json_decode_policies(parsed, om)
    return parsed


def main():
    d = sys.argv[1]
    n = 0
    for name, want in sorted(EXPECTED.items()):
        got = parse(os.path.join(d, name))
        meta = got.pop('ResponseMetadata', None)
        if meta is None or meta.get('RequestId') != RID:
            print('%s: ResponseMetadata %r' % (name, meta))
            return 1
        if got != want:
            print('%s:\n  got  %r\n  want %r' % (name, got, want))
            return 1
        n += 1
    print('ok %d files' % n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
