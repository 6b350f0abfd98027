#!/usr/bin/env python3
"""Generate the API's protobuf schema and C catalog from the AWS models.

    tools/gen_api.py            rewrites proto/<svc>.proto and common/api_catalog_gen.c

The outputs are committed; the build never runs this script. Run it again
when a service or operation is added (SERVICES below) and commit the result.

Rules (the codec in common/codec_json.c relies on them):
  * one proto package per service: pca.api.<svc with '-' -> '_'>;
  * a structure shape becomes a message of the same name; each member a field
    numbered in model order; required members are `required`;
  * field names are snake_case when that converts back to the member name
    (snake -> Pascal for JSON-1.1 services, snake -> camel for rest-json);
    otherwise the member name itself is the field name (it contains upper
    case letters, which tells the codec to use it verbatim);
  * a string shape with an enum becomes an enum of the same name whose values
    are named <Enum>_<value>, with '-' and '.' escaped as _x2D_ and _x2E_;
  * blob -> bytes, boolean -> bool, integer -> int32, long -> int64,
    timestamp -> double (seconds since the epoch; the codec treats every
    double as a timestamp), list -> repeated;
  * operations without an input or output shape use the message Empty.
The C catalog lists every operation (service, name, the AWS CLI's name,
input and output descriptors) and every length/range constraint.
"""
import json
import os
import re
import sys

try:
    from botocore import xform_name
except ImportError:  # the same algorithm as botocore.xform_name
    _first = re.compile('(.)([A-Z][a-z]+)')
    _end = re.compile('([a-z0-9])([A-Z])')

    def xform_name(name, sep='_'):
        s = _first.sub(r'\1' + sep + r'\2', name)
        return _end.sub(r'\1' + sep + r'\2', s).lower()

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(TOP, 'spec', 'models')

# service -> (model file relative to spec/models, operations or None for all)
SERVICES = [
    ('acm-pca', 'botocore-1.43.11/acm-pca.service-2.json', None),
    ('hsmca', 'hsmca.service-2.json', None),
    ('acm', 'botocore-1.43.11/acm.service-2.json', [
        'RequestCertificate', 'DescribeCertificate', 'ListCertificates', 'GetCertificate',
        'ExportCertificate', 'ImportCertificate', 'DeleteCertificate', 'RenewCertificate',
        'AddTagsToCertificate', 'RemoveTagsFromCertificate', 'ListTagsForCertificate',
        'GetAccountConfiguration', 'PutAccountConfiguration', 'UpdateCertificateOptions']),
    ('organizations', 'organizations.service-2.json', [
        'CreateOrganization', 'DescribeOrganization', 'DeleteOrganization',
        'CreateAccount', 'DescribeCreateAccountStatus', 'DescribeAccount', 'ListAccounts',
        'ListAccountsForParent', 'MoveAccount', 'RemoveAccountFromOrganization',
        'LeaveOrganization', 'ListRoots', 'ListParents', 'ListChildren',
        'CreateOrganizationalUnit', 'DescribeOrganizationalUnit', 'DeleteOrganizationalUnit',
        'UpdateOrganizationalUnit', 'ListOrganizationalUnitsForParent',
        'InviteAccountToOrganization', 'AcceptHandshake', 'DeclineHandshake',
        'CancelHandshake', 'DescribeHandshake', 'ListHandshakesForAccount',
        'ListHandshakesForOrganization']),
    ('iam', 'iam.service-2.json', [
        'CreateUser', 'GetUser', 'DeleteUser', 'ListUsers',
        'CreateAccessKey', 'DeleteAccessKey', 'ListAccessKeys', 'UpdateAccessKey',
        'PutUserPolicy', 'GetUserPolicy', 'DeleteUserPolicy', 'ListUserPolicies',
        'AttachUserPolicy', 'DetachUserPolicy', 'ListAttachedUserPolicies',
        'CreateRole', 'GetRole', 'DeleteRole', 'ListRoles', 'UpdateAssumeRolePolicy',
        'PutRolePolicy', 'GetRolePolicy', 'DeleteRolePolicy', 'ListRolePolicies',
        'AttachRolePolicy', 'DetachRolePolicy', 'ListAttachedRolePolicies',
        'CreateServiceLinkedRole', 'DeleteServiceLinkedRole',
        'GetPolicy', 'GetPolicyVersion', 'ListPolicies']),
    ('sts', 'sts.service-2.json', ['AssumeRole', 'GetCallerIdentity']),
]


def snake(name):
    s = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1_\2', name)
    s = re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', s)
    return s.lower()


def unsnake(s, camel):
    parts = s.split('_')
    out = ''.join(p[:1].upper() + p[1:] for p in parts)
    if camel:
        out = out[:1].lower() + out[1:]
    return out


def field_name(member, camel):
    s = snake(member)
    if unsnake(s, camel) == member and re.match(r'^[a-z][a-z0-9_]*$', s):
        return s
    return member


def enum_value_name(enum, value):
    v = value.replace('-', '_x2D_').replace('.', '_x2E_')
    if not re.match(r'^[A-Za-z0-9_]+$', v):
        raise SystemExit('enum value %r of %s cannot be named' % (value, enum))
    return enum + '_' + v


def c_ident(pkg, name):
    """protobuf-c's descriptor symbol for message `name` in package `pkg`."""
    def lower(s):
        return re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', s).lower()
    parts = [p for p in pkg.split('.')]
    return '__'.join(lower(p) for p in parts) + '__' + lower(name) + '__descriptor'


def gen_service(svc, model_file, ops_filter):
    model = json.load(open(os.path.join(MODELS, model_file)))
    shapes = model['shapes']
    meta = model['metadata']
    camel = meta['protocol'] == 'rest-json'
    pkg = 'pca.api.' + svc.replace('-', '_')
    ops = [o for o in model['operations'] if ops_filter is None or o in ops_filter]

    needed_msgs, needed_enums, order = set(), set(), []

    def visit(name):
        sh = shapes[name]
        t = sh['type']
        if t == 'structure':
            if name in needed_msgs:
                return
            needed_msgs.add(name)
            for m in sh.get('members', {}).values():
                visit(m['shape'])
            order.append(name)
        elif t == 'list':
            visit(sh['member']['shape'])
        elif t == 'string' and 'enum' in sh:
            if name not in needed_enums:
                needed_enums.add(name)
                order.append(name)
        elif t == 'map':
            raise SystemExit('map shape %s not supported yet' % name)

    need_empty = False
    for o in ops:
        op = model['operations'][o]
        for k in ('input', 'output'):
            if k in op:
                visit(op[k]['shape'])
            else:
                need_empty = True

    scalar = {'string': 'string', 'blob': 'bytes', 'boolean': 'bool',
              'integer': 'int32', 'long': 'int64', 'timestamp': 'double'}

    def ftype(name):
        sh = shapes[name]
        t = sh['type']
        if t == 'structure':
            return name
        if t == 'string' and 'enum' in sh:
            return name
        if t == 'list':
            return ftype(sh['member']['shape'])
        return scalar[t]

    rules = []
    lines = ['// Generated by tools/gen_api.py from spec/models/%s. Do not edit.' % model_file,
             '// Service %s (%s, API version %s).' % (svc, meta['protocol'], meta.get('apiVersion')),
             'syntax = "proto2";', 'package %s;' % pkg, '']
    if need_empty:
        lines += ['message Empty {', '}', '']
    for name in order:
        sh = shapes[name]
        if sh['type'] == 'string':
            lines.append('enum %s {' % name)
            for i, v in enumerate(sh['enum'], 1):
                lines.append('  %s = %d;' % (enum_value_name(name, v), i))
            lines += ['}', '']
            continue
        lines.append('message %s {' % name)
        req = set(sh.get('required', []))
        for i, (mname, m) in enumerate(sh.get('members', {}).items(), 1):
            target = shapes[m['shape']]
            label = 'repeated' if target['type'] == 'list' else (
                'required' if mname in req else 'optional')
            fname = field_name(mname, camel)
            lines.append('  %s %s %s = %d;' % (label, ftype(m['shape']), fname, i))
            lo, hi = target.get('min'), target.get('max')
            if lo is not None or hi is not None:
                kind = {'list': 'RULE_COUNT', 'integer': 'RULE_RANGE', 'long': 'RULE_RANGE',
                        'string': 'RULE_LEN', 'blob': 'RULE_LEN'}.get(target['type'])
                if kind:
                    rules.append((c_ident(pkg, name), fname, kind,
                                  lo if lo is not None else 0,
                                  hi if hi is not None else -1))
        lines += ['}', '']
    proto = '\n'.join(lines)

    catalog = []
    for o in ops:
        op = model['operations'][o]
        ins = op['input']['shape'] if 'input' in op else 'Empty'
        outs = op['output']['shape'] if 'output' in op else 'Empty'
        catalog.append((o, xform_name(o, '-'), c_ident(pkg, ins), c_ident(pkg, outs)))
    return {
        'svc': svc, 'file': svc.replace('-', '_'), 'proto': proto, 'meta': meta,
        'catalog': catalog, 'rules': rules,
    }


def main():
    gens = [gen_service(*s) for s in SERVICES]
    for g in gens:
        with open(os.path.join(TOP, 'proto', g['file'] + '.proto'), 'w') as f:
            f.write(g['proto'])
    c = ['/* Generated by tools/gen_api.py. Do not edit. */',
         '#include "api_catalog.h"', '']
    for g in gens:
        c.append('#include "%s.pb-c.h"' % g['file'])
    c += ['', 'const struct api_service api_services[] = {']
    for g in gens:
        m = g['meta']
        c.append('\t{ "%s", "%s", "%s", "%s", "%s", "%s" },' % (
            g['svc'], m['protocol'], m.get('targetPrefix', ''),
            m.get('signingName', m['endpointPrefix']), m.get('apiVersion', ''),
            m.get('jsonVersion', '')))
    c += ['};', 'const size_t api_services_len = sizeof(api_services) / sizeof(api_services[0]);',
          '', 'const struct api_op api_ops[] = {']
    for gi, g in enumerate(gens):
        for (name, cli, ind, outd) in g['catalog']:
            c.append('\t{ &api_services[%d], "%s", "%s", &%s, &%s },' % (gi, name, cli, ind, outd))
    c += ['};', 'const size_t api_ops_len = sizeof(api_ops) / sizeof(api_ops[0]);',
          '', 'const struct api_rule api_rules[] = {']
    for g in gens:
        for (desc, field, kind, lo, hi) in g['rules']:
            c.append('\t{ &%s, "%s", %s, %d, %d },' % (desc, field, kind, lo, hi))
    c += ['};', 'const size_t api_rules_len = sizeof(api_rules) / sizeof(api_rules[0]);', '']
    with open(os.path.join(TOP, 'common', 'api_catalog_gen.c'), 'w') as f:
        f.write('\n'.join(c))


if __name__ == '__main__':
    main()
