#!/usr/bin/env bash
# AWS Organizations and STS as a user runs them with the pca CLI: the
# administrator's account creates an organization, creates a member
# account, nests OUs and moves the account; assumes the member's
# OrganizationAccountAccessRole and works with the temporary credentials
# until the (test) clock runs them out; invites a second, standalone
# account, which accepts, declines, leaves; and every typed error of those
# operations on the way.
. "$(dirname "$0")/lib.sh"
export HSMCA_TEST_CLOCK=1
it_up
cd "$WORK" || exit 1

ORG="pca organizations"

# the administrator's (management) account
ok "get-caller-identity (administrator)" pca sts get-caller-identity
MGMT=$(jq -r .Account <<<"$OUT")
check "the root: Arn ...:root, UserId the account id" test \
	"$(jq -r '.Arn + " " + .UserId' <<<"$OUT")" = "arn:aws:iam::$MGMT:root $MGMT"

# --- before there is an organization -----------------------------------------------------
expect_error AWSOrganizationsNotInUseException "describe-organization without one" \
	$ORG describe-organization
expect_error AWSOrganizationsNotInUseException "list-accounts without one" $ORG list-accounts
expect_error AWSOrganizationsNotInUseException "leave-organization without one" \
	$ORG leave-organization

# --- the organization -----------------------------------------------------------------------
ok "create-organization --feature-set ALL" $ORG create-organization --feature-set ALL
O=$(jq -r .Organization.Id <<<"$OUT")
check "organization id o-<10 lower-case alnum>" grep -Eq '^o-[a-z0-9]{10}$' <<<"$O"
check "its ARN" test "$(jq -r .Organization.Arn <<<"$OUT")" = \
	"arn:aws:organizations::$MGMT:organization/$O"
check "the caller's account is the management account, all features" test \
	"$(jq -r '.Organization | .MasterAccountId + " " + .MasterAccountArn + " " + .FeatureSet' <<<"$OUT")" = \
	"$MGMT arn:aws:organizations::$MGMT:account/$O/$MGMT ALL"
expect_error AlreadyInOrganizationException "a second organization is refused" \
	$ORG create-organization --feature-set ALL
ok "describe-organization" $ORG describe-organization
check "the same organization" test "$(jq -r .Organization.Id <<<"$OUT")" = "$O"

ok "list-roots" $ORG list-roots
ROOT=$(jq -r '.Roots[0].Id' <<<"$OUT")
check "one root r-<4>, named Root" test "$(jq -r '.Roots | length' <<<"$OUT") $(jq -r '.Roots[0].Name' <<<"$OUT")" = "1 Root"
check "root id pattern" grep -Eq '^r-[a-z0-9]{4}$' <<<"$ROOT"
check "root ARN" test "$(jq -r '.Roots[0].Arn' <<<"$OUT")" = "arn:aws:organizations::$MGMT:root/$O/$ROOT"

# --- accounts -----------------------------------------------------------------------------
ok "create-account" $ORG create-account --email dev@example.com --account-name Dev
check "SUCCEEDED with a car- id" test "$(jq -r '.CreateAccountStatus | .State + " " +
	(.Id | test("^car-[a-z0-9]{8,32}$") | tostring)' <<<"$OUT")" = "SUCCEEDED true"
DEV=$(jq -r .CreateAccountStatus.AccountId <<<"$OUT")
CAR=$(jq -r .CreateAccountStatus.Id <<<"$OUT")
check "a new 12-digit account" grep -Eq '^[0-9]{12}$' <<<"$DEV"
check "not the management account" test "$DEV" != "$MGMT"
ok "describe-create-account-status" $ORG describe-create-account-status \
	--create-account-request-id "$CAR"
check "it remembers the outcome" test \
	"$(jq -r '.CreateAccountStatus | .State + " " + .AccountId + " " + .AccountName' <<<"$OUT")" = \
	"SUCCEEDED $DEV Dev"
expect_error CreateAccountStatusNotFoundException "an unknown create-account request" \
	$ORG describe-create-account-status --create-account-request-id car-0123456789abcdef
expect_error InvalidInputException "a malformed create-account request id" \
	$ORG describe-create-account-status --create-account-request-id car-NOT_VALID
ok "create-account with an email in use" $ORG create-account --email DEV@example.com \
	--account-name Again
check "FAILED: EMAIL_ALREADY_EXISTS (as AWS reports it)" test \
	"$(jq -r '.CreateAccountStatus | .State + " " + .FailureReason + " " + (.AccountId // "-")' <<<"$OUT")" = \
	"FAILED EMAIL_ALREADY_EXISTS -"
CAR2=$(jq -r .CreateAccountStatus.Id <<<"$OUT")
ok "describe-create-account-status of the failed one" $ORG describe-create-account-status \
	--create-account-request-id "$CAR2"
check "FAILED too" test "$(jq -r .CreateAccountStatus.State <<<"$OUT")" = FAILED
expect_error InvalidInputException "an email without a domain" \
	$ORG create-account --email not-an-email --account-name Bad
expect_error InvalidInputException "an invalid role name" \
	$ORG create-account --email role@example.com --account-name Bad --role-name 'no spaces'
ok "create-account (Ops)" $ORG create-account --email ops@example.com --account-name Ops
OPS=$(jq -r .CreateAccountStatus.AccountId <<<"$OUT")

ok "list-accounts" $ORG list-accounts
check "three accounts" test "$(jq -c '[.Accounts[].Id] | sort' <<<"$OUT")" = \
	"$(jq -nc --arg a "$MGMT" --arg b "$DEV" --arg c "$OPS" '[$a,$b,$c] | sort')"
check "Dev: CREATED, ACTIVE, its email and ARN" test "$(jq -r --arg d "$DEV" \
	'.Accounts[] | select(.Id == $d) | .JoinedMethod + " " + .Status + " " + .Email + " " + .Arn' <<<"$OUT")" = \
	"CREATED ACTIVE dev@example.com arn:aws:organizations::$MGMT:account/$O/$DEV"
ok "list-accounts --max-results 1" $ORG list-accounts --max-results 1
T=$(jq -r .NextToken <<<"$OUT")
check "one account and a NextToken" test "$(jq -r '.Accounts | length' <<<"$OUT")" = 1 -a "$T" != null
ok "the second page" $ORG list-accounts --max-results 2 --next-token "$T"
check "the other two, no further token" test \
	"$(jq -r '(.Accounts | length | tostring) + " " + (.NextToken // "none")' <<<"$OUT")" = "2 none"
expect_error InvalidInputException "a forged NextToken" $ORG list-accounts --next-token forged
ok "describe-account" $ORG describe-account --account-id "$DEV"
check "name and email" test "$(jq -r '.Account | .Name + " " + .Email' <<<"$OUT")" = "Dev dev@example.com"
expect_error AccountNotFoundException "describe-account of an account not in the organization" \
	$ORG describe-account --account-id 000000000000
expect_error InvalidInputException "describe-account of a malformed id" \
	$ORG describe-account --account-id 12345

# --- organizational units ---------------------------------------------------------------------
ok "create-organizational-unit Eng under the root" $ORG create-organizational-unit \
	--parent-id "$ROOT" --name Eng
ENG=$(jq -r .OrganizationalUnit.Id <<<"$OUT")
check "ou-<root's 4>-<8>" grep -Eq "^ou-${ROOT#r-}-[a-z0-9]{8}\$" <<<"$ENG"
check "OU ARN" test "$(jq -r .OrganizationalUnit.Arn <<<"$OUT")" = "arn:aws:organizations::$MGMT:ou/$O/$ENG"
ok "a nested OU Platform under Eng" $ORG create-organizational-unit --parent-id "$ENG" --name Platform
PLAT=$(jq -r .OrganizationalUnit.Id <<<"$OUT")
ok "Platform again, under the root (another parent)" $ORG create-organizational-unit \
	--parent-id "$ROOT" --name Platform
PLAT2=$(jq -r .OrganizationalUnit.Id <<<"$OUT")
expect_error DuplicateOrganizationalUnitException "Eng twice under the root" \
	$ORG create-organizational-unit --parent-id "$ROOT" --name Eng
expect_error ParentNotFoundException "an OU under an unknown parent" \
	$ORG create-organizational-unit --parent-id "ou-${ROOT#r-}-zzzzzzzz" --name X
expect_error InvalidInputException "an OU under a malformed parent id" \
	$ORG create-organizational-unit --parent-id nonsense --name X
P=$PLAT
for i in 3 4 5; do
	ok "nest level $i" $ORG create-organizational-unit --parent-id "$P" --name "L$i"
	P=$(jq -r .OrganizationalUnit.Id <<<"$OUT")
done
expect_error ConstraintViolationException "a sixth level of OUs" \
	$ORG create-organizational-unit --parent-id "$P" --name L6
ok "describe-organizational-unit" $ORG describe-organizational-unit --organizational-unit-id "$PLAT"
check "name Platform" test "$(jq -r .OrganizationalUnit.Name <<<"$OUT")" = Platform
expect_error OrganizationalUnitNotFoundException "describe an unknown OU" \
	$ORG describe-organizational-unit --organizational-unit-id "ou-${ROOT#r-}-zzzzzzzz"
ok "update-organizational-unit renames" $ORG update-organizational-unit \
	--organizational-unit-id "$PLAT2" --name Shared
check "to Shared" test "$(jq -r .OrganizationalUnit.Name <<<"$OUT")" = Shared
expect_error DuplicateOrganizationalUnitException "renaming to a sibling's name" \
	$ORG update-organizational-unit --organizational-unit-id "$PLAT2" --name Eng
ok "list-organizational-units-for-parent the root" $ORG list-organizational-units-for-parent \
	--parent-id "$ROOT"
check "Eng and Shared" test "$(jq -c '[.OrganizationalUnits[].Name] | sort' <<<"$OUT")" = '["Eng","Shared"]'
ok "list-children OUs of the root, one a page" $ORG list-children --parent-id "$ROOT" \
	--child-type ORGANIZATIONAL_UNIT --max-results 1
T=$(jq -r .NextToken <<<"$OUT")
FIRST=$(jq -r '.Children[0].Id' <<<"$OUT")
ok "the next page" $ORG list-children --parent-id "$ROOT" --child-type ORGANIZATIONAL_UNIT \
	--max-results 1 --next-token "$T"
check "both OUs over two pages" test "$(printf '%s\n' "$FIRST" "$(jq -r '.Children[0].Id' <<<"$OUT")" | sort | tr '\n' ' ')" = \
	"$(printf '%s\n' "$ENG" "$PLAT2" | sort | tr '\n' ' ')"

# --- moving accounts --------------------------------------------------------------------------
ok "move-account Dev from the root to Platform" $ORG move-account --account-id "$DEV" \
	--source-parent-id "$ROOT" --destination-parent-id "$PLAT"
ok "list-parents of Dev" $ORG list-parents --child-id "$DEV"
check "Platform, an OU" test "$(jq -r '.Parents[0] | .Id + " " + .Type' <<<"$OUT")" = "$PLAT ORGANIZATIONAL_UNIT"
ok "list-parents of Platform" $ORG list-parents --child-id "$PLAT"
check "Eng" test "$(jq -r '.Parents[0].Id' <<<"$OUT")" = "$ENG"
ok "list-parents of Eng" $ORG list-parents --child-id "$ENG"
check "the root" test "$(jq -r '.Parents[0] | .Id + " " + .Type' <<<"$OUT")" = "$ROOT ROOT"
expect_error ChildNotFoundException "list-parents of an account not in the organization" \
	$ORG list-parents --child-id 000000000000
ok "list-children accounts of Platform" $ORG list-children --parent-id "$PLAT" --child-type ACCOUNT
check "Dev" test "$(jq -c '[.Children[] | .Id + ":" + .Type]' <<<"$OUT")" = "[\"$DEV:ACCOUNT\"]"
ok "list-accounts-for-parent Platform" $ORG list-accounts-for-parent --parent-id "$PLAT"
check "Dev" test "$(jq -r '[.Accounts[].Name] | join(",")' <<<"$OUT")" = Dev
ok "list-accounts-for-parent the root" $ORG list-accounts-for-parent --parent-id "$ROOT"
check "the management account and Ops" test "$(jq -c '[.Accounts[].Id] | sort' <<<"$OUT")" = \
	"$(jq -nc --arg a "$MGMT" --arg b "$OPS" '[$a,$b] | sort')"
expect_error DuplicateAccountException "moving Dev where it already is" \
	$ORG move-account --account-id "$DEV" --source-parent-id "$ROOT" --destination-parent-id "$PLAT"
expect_error AccountNotFoundException "moving Dev from a parent it is not under" \
	$ORG move-account --account-id "$DEV" --source-parent-id "$ENG" --destination-parent-id "$ROOT"
expect_error SourceParentNotFoundException "an unknown source parent" \
	$ORG move-account --account-id "$DEV" --source-parent-id "ou-${ROOT#r-}-zzzzzzzz" \
	--destination-parent-id "$ROOT"
expect_error DestinationParentNotFoundException "an unknown destination parent" \
	$ORG move-account --account-id "$DEV" --source-parent-id "$PLAT" \
	--destination-parent-id "ou-${ROOT#r-}-zzzzzzzz"
expect_error AccountNotFoundException "moving an account not in the organization" \
	$ORG move-account --account-id 000000000000 --source-parent-id "$ROOT" --destination-parent-id "$ENG"
expect_error OrganizationalUnitNotEmptyException "deleting Eng (it has Platform)" \
	$ORG delete-organizational-unit --organizational-unit-id "$ENG"
expect_error OrganizationalUnitNotEmptyException "deleting Platform (it has Dev and L3)" \
	$ORG delete-organizational-unit --organizational-unit-id "$PLAT"
ok "delete-organizational-unit Shared (empty)" $ORG delete-organizational-unit \
	--organizational-unit-id "$PLAT2"
expect_error OrganizationalUnitNotFoundException "it is gone" \
	$ORG describe-organizational-unit --organizational-unit-id "$PLAT2"

# --- into the member account through its OrganizationAccountAccessRole -----------------------
ROLE_ARN="arn:aws:iam::$DEV:role/OrganizationAccountAccessRole"
ok "assume-role OrganizationAccountAccessRole in Dev" pca sts assume-role \
	--role-arn "$ROLE_ARN" --role-session-name admin-session
echo "$OUT" >session.json
SKEY=$(jq -r .Credentials.AccessKeyId session.json)
SSECRET=$(jq -r .Credentials.SecretAccessKey session.json)
STOKEN=$(jq -r .Credentials.SessionToken session.json)
check "an ASIA key id of 20 characters, a 40-character secret" test \
	"$(grep -Ec '^ASIA[A-Z2-7]{16}$' <<<"$SKEY") ${#SSECRET}" = "1 40"
check "a long session token" test "${#STOKEN}" -ge 100
check "AssumedRoleUser: assumed-role ARN, AROA...:session id" test \
	"$(jq -r '.AssumedRoleUser | .Arn + " " + (.AssumedRoleId | test("^AROA[A-Z2-7]{17}:admin-session$") | tostring)' session.json)" = \
	"arn:aws:sts::$DEV:assumed-role/OrganizationAccountAccessRole/admin-session true"
now=$(date -u -d "$(pca hsmca get-status | jq -r .Now)" +%s)
exp=$(date -u -d "$(jq -r .Credentials.Expiration session.json)" +%s)
check "Expiration one hour from the service clock" test $((exp - now)) -ge 3590 -a \
	$((exp - now)) -le 3610

as_session() {
	env -u AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ACCESS_KEY_ID="$SKEY" \
		AWS_SECRET_ACCESS_KEY="$SSECRET" AWS_SESSION_TOKEN="$STOKEN" "$@"
}
ok "get-caller-identity with the session" as_session pca sts get-caller-identity
check "Dev's account, the session's ARN and UserId" test \
	"$(jq -r '.Account + " " + .Arn + " " + .UserId' <<<"$OUT")" = \
	"$DEV arn:aws:sts::$DEV:assumed-role/OrganizationAccountAccessRole/admin-session $(jq -r .AssumedRoleUser.AssumedRoleId session.json)"
ok "the member describes its organization" as_session $ORG describe-organization
check "the same organization" test "$(jq -r .Organization.Id <<<"$OUT")" = "$O"
ok "the member lists its own parent" as_session $ORG list-parents --child-id "$DEV"
expect_error AccessDeniedException "the member may not list another account's parents" \
	as_session $ORG list-parents --child-id "$MGMT"
expect_error AccessDeniedException "the member may not list accounts" as_session $ORG list-accounts
expect_error AccessDeniedException "the member may not create accounts" \
	as_session $ORG create-account --email x@example.com --account-name X
expect_error AccessDeniedException "the member may not delete the organization" \
	as_session $ORG delete-organization
expect_error UnrecognizedClientException "the session without its token" \
	env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	AWS_ACCESS_KEY_ID="$SKEY" AWS_SECRET_ACCESS_KEY="$SSECRET" pca sts get-caller-identity
case $STOKEN in x*) BADTOKEN="y${STOKEN:1}" ;; *) BADTOKEN="x${STOKEN:1}" ;; esac
expect_error UnrecognizedClientException "the session with another token" \
	env -u AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ACCESS_KEY_ID="$SKEY" \
	AWS_SECRET_ACCESS_KEY="$SSECRET" AWS_SESSION_TOKEN="$BADTOKEN" pca sts get-caller-identity
case $SSECRET in x*) BAD="y${SSECRET:1}" ;; *) BAD="x${SSECRET:1}" ;; esac
expect_error InvalidSignatureException "the session's token with a wrong secret" \
	env -u AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ACCESS_KEY_ID="$SKEY" \
	AWS_SECRET_ACCESS_KEY="$BAD" AWS_SESSION_TOKEN="$STOKEN" pca sts get-caller-identity

# assume-role's own checks
expect_error ValidationError "a RoleArn that is not a role's" \
	pca sts assume-role --role-arn "arn:aws:iam::$DEV:user/someone" --role-session-name s1
expect_error ValidationError "a RoleSessionName with a space" \
	pca sts assume-role --role-arn "$ROLE_ARN" --role-session-name 'bad name'
expect_param_error "a RoleSessionName of one character (the CLI checks the length)" \
	pca sts assume-role --role-arn "$ROLE_ARN" --role-session-name a
expect_error ValidationError "DurationSeconds over the role's MaxSessionDuration" \
	pca sts assume-role --role-arn "$ROLE_ARN" --role-session-name s1 --duration-seconds 7200
expect_error AccessDenied "a role that does not exist" \
	pca sts assume-role --role-arn "arn:aws:iam::$DEV:role/NoSuchRole" --role-session-name s1
expect_error AccessDenied "Ops's role does not trust a session in Dev" \
	as_session pca sts assume-role --role-arn "arn:aws:iam::$OPS:role/OrganizationAccountAccessRole" \
	--role-session-name s1
ok "a 15-minute session" pca sts assume-role --role-arn "$ROLE_ARN" --role-session-name short \
	--duration-seconds 900
echo "$OUT" >short.json

# --- invitations: a second, standalone account ---------------------------------------------
ok "add a standalone account Other" "$BUILD/frontend/pca-frontend" -c "$HSMCA_HOME/frontend.conf" \
	add-account --credentials-file "$WORK/other.credentials" --profile default --name Other

as_other() {
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
		AWS_SHARED_CREDENTIALS_FILE="$WORK/other.credentials" AWS_PROFILE=default "$@"
}

ok "the other account's identity" as_other pca sts get-caller-identity
OTHER=$(jq -r .Account <<<"$OUT")
expect_error AWSOrganizationsNotInUseException "a standalone account has no organization" \
	as_other $ORG describe-organization
expect_error AWSOrganizationsNotInUseException "nor roots" as_other $ORG list-roots

ok "invite-account-to-organization" $ORG invite-account-to-organization \
	--target "Id=$OTHER,Type=ACCOUNT" --notes "join us"
H=$(jq -r .Handshake.Id <<<"$OUT")
check "h-<10>, OPEN, INVITE" test "$(jq -r '.Handshake | (.Id | test("^h-[a-z0-9]{10}$") | tostring) + " " + .State + " " + .Action' <<<"$OUT")" = \
	"true OPEN INVITE"
check "the handshake's ARN" test "$(jq -r .Handshake.Arn <<<"$OUT")" = \
	"arn:aws:organizations::$MGMT:handshake/$O/invite/$H"
check "parties: the organization and the account" test \
	"$(jq -c '[.Handshake.Parties[] | .Type + ":" + .Id] | sort' <<<"$OUT")" = \
	"$(jq -nc --arg a "ACCOUNT:$OTHER" --arg o "ORGANIZATION:$O" '[$a,$o] | sort')"
check "resources carry the notes" test \
	"$(jq -r '.Handshake.Resources[] | select(.Type == "NOTES") | .Value' <<<"$OUT")" = "join us"
expect_error DuplicateHandshakeException "a second open invitation" \
	$ORG invite-account-to-organization --target "Id=$OTHER,Type=ACCOUNT"
expect_error AccountNotFoundException "inviting an account that does not exist" \
	$ORG invite-account-to-organization --target "Id=000000000000,Type=ACCOUNT"
expect_error InvalidInputException "inviting by email" \
	$ORG invite-account-to-organization --target "Id=someone@example.com,Type=EMAIL"
expect_error HandshakeConstraintViolationException "inviting an account already in one" \
	$ORG invite-account-to-organization --target "Id=$DEV,Type=ACCOUNT"
expect_error AccessDeniedException "a member may not invite" \
	as_session $ORG invite-account-to-organization --target "Id=$OTHER,Type=ACCOUNT"

ok "list-handshakes-for-account (the invited account)" as_other $ORG list-handshakes-for-account
check "the open invitation" test "$(jq -r '.Handshakes[] | .Id + " " + .State' <<<"$OUT")" = "$H OPEN"
ok "describe-handshake (the invited account)" as_other $ORG describe-handshake --handshake-id "$H"
ok "describe-handshake (the management account)" $ORG describe-handshake --handshake-id "$H"
expect_error HandshakeNotFoundException "describe-handshake (a third account)" \
	as_session $ORG describe-handshake --handshake-id "$H"
expect_error HandshakeNotFoundException "an unknown handshake" \
	$ORG describe-handshake --handshake-id h-0000000000
expect_error AccessDeniedException "the management account cannot accept for it" \
	$ORG accept-handshake --handshake-id "$H"
expect_error AccessDeniedException "the invited account cannot cancel it" \
	as_other $ORG cancel-handshake --handshake-id "$H"
ok "accept-handshake" as_other $ORG accept-handshake --handshake-id "$H"
check "ACCEPTED" test "$(jq -r .Handshake.State <<<"$OUT")" = ACCEPTED
expect_error InvalidHandshakeTransitionException "accepting twice" \
	as_other $ORG accept-handshake --handshake-id "$H"
ok "the new member describes its organization" as_other $ORG describe-organization
check "managed by the administrator's account" test \
	"$(jq -r '.Organization | .Id + " " + .MasterAccountId' <<<"$OUT")" = "$O $MGMT"
ok "list-accounts" $ORG list-accounts
check "Other joined by invitation" test "$(jq -r --arg o "$OTHER" \
	'.Accounts[] | select(.Id == $o) | .JoinedMethod' <<<"$OUT")" = INVITED
ok "list-parents of Other" $ORG list-parents --child-id "$OTHER"
check "under the root" test "$(jq -r '.Parents[0].Id' <<<"$OUT")" = "$ROOT"
ok "list-handshakes-for-organization" $ORG list-handshakes-for-organization
check "the accepted invitation" test "$(jq -r --arg h "$H" '.Handshakes[] | select(.Id == $h) | .State' <<<"$OUT")" = ACCEPTED
ok "list-handshakes-for-organization with an ActionType filter" \
	$ORG list-handshakes-for-organization --filter ActionType=INVITE
check "still listed" test "$(jq '.Handshakes | length' <<<"$OUT")" -ge 1
expect_error AccessDeniedException "a member may not list the organization's handshakes" \
	as_other $ORG list-handshakes-for-organization

ok "leave-organization (the member)" as_other $ORG leave-organization
expect_error AWSOrganizationsNotInUseException "it is out" as_other $ORG describe-organization

ok "invite it again" $ORG invite-account-to-organization --target "Id=$OTHER,Type=ACCOUNT"
H2=$(jq -r .Handshake.Id <<<"$OUT")
ok "decline-handshake" as_other $ORG decline-handshake --handshake-id "$H2"
check "DECLINED" test "$(jq -r .Handshake.State <<<"$OUT")" = DECLINED
expect_error InvalidHandshakeTransitionException "accepting a declined invitation" \
	as_other $ORG accept-handshake --handshake-id "$H2"
ok "and again" $ORG invite-account-to-organization --target "Id=$OTHER,Type=ACCOUNT"
H3=$(jq -r .Handshake.Id <<<"$OUT")
ok "cancel-handshake (the management account)" $ORG cancel-handshake --handshake-id "$H3"
check "CANCELED" test "$(jq -r .Handshake.State <<<"$OUT")" = CANCELED
expect_error InvalidHandshakeTransitionException "accepting a canceled invitation" \
	as_other $ORG accept-handshake --handshake-id "$H3"

ok "once more, accepted" $ORG invite-account-to-organization --target "Id=$OTHER,Type=ACCOUNT"
ok "accept" as_other $ORG accept-handshake --handshake-id "$(jq -r .Handshake.Id <<<"$OUT")"
ok "remove-account-from-organization" $ORG remove-account-from-organization --account-id "$OTHER"
expect_error AccountNotFoundException "it is no longer a member" \
	$ORG describe-account --account-id "$OTHER"

# an account with an organization of its own cannot accept
ok "invite it once more" $ORG invite-account-to-organization --target "Id=$OTHER,Type=ACCOUNT"
H4=$(jq -r .Handshake.Id <<<"$OUT")
ok "it makes an organization of its own" as_other $ORG create-organization --feature-set ALL
expect_error HandshakeConstraintViolationException "then it cannot accept" \
	as_other $ORG accept-handshake --handshake-id "$H4"
expect_error HandshakeConstraintViolationException "nor be invited" \
	$ORG invite-account-to-organization --target "Id=$OTHER,Type=ACCOUNT"
ok "it deletes its (empty) organization" as_other $ORG delete-organization
ok "and declines" as_other $ORG decline-handshake --handshake-id "$H4"

# an invitation expires after 15 days of the service clock
ok "a last invitation" $ORG invite-account-to-organization --target "Id=$OTHER,Type=ACCOUNT"
H5=$(jq -r .Handshake.Id <<<"$OUT")

# --- the management account cannot leave -------------------------------------------------
expect_error MasterCannotLeaveOrganizationException "leave-organization (management)" \
	$ORG leave-organization
expect_error MasterCannotLeaveOrganizationException "remove-account-from-organization (management)" \
	$ORG remove-account-from-organization --account-id "$MGMT"
expect_error OrganizationNotEmptyException "delete-organization with members" \
	$ORG delete-organization

# --- time: sessions and invitations expire on the service clock --------------------------
ok "the session still works" as_session pca sts get-caller-identity
SKEY=$(jq -r .Credentials.AccessKeyId short.json)
SSECRET=$(jq -r .Credentials.SecretAccessKey short.json)
STOKEN=$(jq -r .Credentials.SessionToken short.json)
ok "so does the 15-minute one" as_session pca sts get-caller-identity
ok "advance the clock 16 minutes" pca hsmca advance-clock --seconds 960
expect_error ExpiredTokenException "the 15-minute session expired" as_session pca sts get-caller-identity
SKEY=$(jq -r .Credentials.AccessKeyId session.json)
SSECRET=$(jq -r .Credentials.SecretAccessKey session.json)
STOKEN=$(jq -r .Credentials.SessionToken session.json)
ok "the one-hour session has not" as_session pca sts get-caller-identity
ok "advance-clock --days 1" pca hsmca advance-clock --days 1
expect_error ExpiredTokenException "after a day it has" as_session pca sts get-caller-identity
expect_error ExpiredTokenException "for every operation" as_session $ORG describe-organization
ok "a new session works on the moved clock" pca sts assume-role --role-arn "$ROLE_ARN" \
	--role-session-name later
ok "advance-clock --days 15" pca hsmca advance-clock --days 15
expect_error InvalidHandshakeTransitionException "an expired invitation cannot be accepted" \
	as_other $ORG accept-handshake --handshake-id "$H5"
ok "describe-handshake" $ORG describe-handshake --handshake-id "$H5"
check "EXPIRED" test "$(jq -r .Handshake.State <<<"$OUT")" = EXPIRED
ok "a new invitation after the expired one" $ORG invite-account-to-organization \
	--target "Id=$OTHER,Type=ACCOUNT"
ok "cancel it" $ORG cancel-handshake --handshake-id "$(jq -r .Handshake.Id <<<"$OUT")"

# --- the end of the organization -----------------------------------------------------------
ok "remove Dev" $ORG remove-account-from-organization --account-id "$DEV"
ok "remove Ops" $ORG remove-account-from-organization --account-id "$OPS"
ok "delete-organization" $ORG delete-organization
expect_error AWSOrganizationsNotInUseException "it is gone" $ORG describe-organization
ok "a new organization can be made" $ORG create-organization
check "with another id" test "$(jq -r .Organization.Id <<<"$OUT")" != "$O"

it_done
