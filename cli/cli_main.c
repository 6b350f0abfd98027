/*
 * pca - hsmca's command line, shaped like the AWS CLI.
 *
 *   pca [--endpoint-url URL] [--region R] [--profile P] [--output json]
 *       [--cli-read-timeout SECONDS] <service> <operation> [parameters]
 *   pca <service> help            the operations of a service
 *   pca help                      the services
 *
 * Services and operations are those of the API catalog (acm-pca, hsmca);
 * parameters, their spelling and file:// / fileb:// values follow the AWS
 * CLI (cli_args.h). Output is JSON as the AWS CLI prints it. Failures print
 * the AWS CLI's error line to stderr:
 *   An error occurred (InvalidStateException) when calling the IssueCertificate operation: ...
 * and exit with 254 (a service error), 252 (bad parameters) or 255 (other).
 * The endpoint is --endpoint-url or HSMCA_ENDPOINT; credentials and region
 * are found as the AWS CLI finds them (creds.h).
 *
 * One option is not the AWS CLI's: `acm-pca create-certificate-authority
 * --authorize-acm-renewals` also calls hsmca SetAcmRenewalAuthorization on
 * the new CA, the console's "Authorize ACM access to renew certificates
 * requested by this account". When that second call fails the CA exists
 * all the same: its ARN is printed before the error.
 */
#include "api_catalog.h"
#include "cli_args.h"
#include "codec_json.h"
#include "creds.h"
#include "hsmca.pb-c.h"
#include "libpca.h"
#include "acm_pca.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_SERVICE	254
#define EXIT_PARAMS	252
#define EXIT_OTHER	255

struct globals {
	const char	*endpoint;
	const char	*region;
	const char	*profile;
	const char	*output;
	int		 timeout_s;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pca [options] <service> <operation> [parameters]\n"
	    "       pca <service> help\n"
	    "options: --endpoint-url URL  --region REGION  --profile NAME  --output json\n"
	    "         --cli-read-timeout SECONDS\n"
	    "services:");
	for (size_t i = 0; i < api_services_len; i++)
		fprintf(f, " %s", api_services[i].name);
	fprintf(f, "\n");
}

static void
list_ops(const char *service)
{
	printf("operations of %s:\n", service);
	for (size_t i = 0; i < api_ops_len; i++)
		if (strcmp(api_ops[i].service->name, service) == 0)
			printf("  %s\n", api_ops[i].cli_name);
}

/* Remove the global options wherever they appear (the AWS CLI accepts them
 * before or after the operation). */
static int
take_globals(int *argc, char **argv, struct globals *g)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		if (strcmp(a, "--endpoint-url") == 0)
			dst = &g->endpoint;
		else if (strcmp(a, "--region") == 0)
			dst = &g->region;
		else if (strcmp(a, "--profile") == 0)
			dst = &g->profile;
		else if (strcmp(a, "--output") == 0)
			dst = &g->output;
		else if (strcmp(a, "--cli-read-timeout") == 0) {
			if (i + 1 >= *argc)
				return -1;
			g->timeout_s = atoi(argv[++i]);
			continue;
		}
		if (dst != NULL) {
			if (i + 1 >= *argc)
				return -1;
			*dst = argv[++i];
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

/* Remove `flag` from the operation's parameters: 1 if it was there. */
static int
take_flag(int *argc, char **argv, int from, const char *flag)
{
	int found = 0, out = from;

	for (int i = from; i < *argc; i++) {
		if (strcmp(argv[i], flag) == 0) {
			found = 1;
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	argv[out] = NULL;
	return found;
}

/* The follow-up of --authorize-acm-renewals on the CA just created. */
static int
authorize_acm_renewals(struct pca_client *client, const ProtobufCMessage *created)
{
	const Pca__Api__AcmPca__CreateCertificateAuthorityResponse *c = (const void *)created;
	Pca__Api__Hsmca__SetAcmRenewalAuthorizationRequest req =
	    PCA__API__HSMCA__SET_ACM_RENEWAL_AUTHORIZATION_REQUEST__INIT;
	ProtobufCMessage *out = NULL;
	struct pca_error perr;

	req.certificate_authority_arn = c->certificate_authority_arn;
	req.authorized = 1;
	if (pca_call(client, "hsmca", "SetAcmRenewalAuthorization", &req.base, &out, &perr) != 0) {
		fprintf(stderr, "\nAn error occurred (%s) when calling the SetAcmRenewalAuthorization "
		    "operation: %s\n", perr.code, perr.message);
		return -1;
	}
	protobuf_c_message_free_unpacked(out, NULL);
	return 0;
}

int
main(int argc, char **argv)
{
	struct globals g = { NULL, NULL, NULL, "json", 180 };
	const struct api_op *op;
	struct creds cr;
	struct codec_error cerr;
	struct pca_error perr;
	struct pca_client *client = NULL;
	ProtobufCMessage *in = NULL, *out = NULL;
	json_t *jin = NULL, *jout = NULL;
	char err[1024];
	int rc = EXIT_OTHER, r, authorize_acm = 0;

	memset(&cr, 0, sizeof(cr));
	if (take_globals(&argc, argv, &g) != 0) {
		fprintf(stderr, "pca: an option needs a value\n");
		return EXIT_PARAMS;
	}
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_PARAMS : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("pca (hsmca) 0.1\n");
		return 0;
	}
	if (api_service_find(argv[1]) == NULL) {
		fprintf(stderr, "pca: unknown service \"%s\"\n", argv[1]);
		usage(stderr);
		return EXIT_PARAMS;
	}
	if (argc < 3 || strcmp(argv[2], "help") == 0) {
		list_ops(argv[1]);
		return argc < 3 ? EXIT_PARAMS : 0;
	}
	if ((op = api_op_find_cli(argv[1], argv[2])) == NULL) {
		fprintf(stderr, "pca: %s has no operation \"%s\"\n", argv[1], argv[2]);
		list_ops(argv[1]);
		return EXIT_PARAMS;
	}
	if (strcmp(g.output, "json") != 0) {
		fprintf(stderr, "pca: only --output json is supported\n");
		return EXIT_PARAMS;
	}
	if (strcmp(op->service->name, "acm-pca") == 0 &&
	    strcmp(op->name, "CreateCertificateAuthority") == 0)
		authorize_acm = take_flag(&argc, argv, 3, "--authorize-acm-renewals");
	if (cli_args_parse(op->input, argc - 3, argv + 3, &jin, err, sizeof(err)) != 0) {
		fprintf(stderr, "\n%s\n", err);
		return EXIT_PARAMS;
	}
	if (codec_json_to_msg(op->input, jin, &in, &cerr) != 0) {
		fprintf(stderr, "\nParameter validation failed:\n%s\n", cerr.message);
		rc = EXIT_PARAMS;
		goto out;
	}
	if (g.endpoint == NULL && (g.endpoint = getenv("HSMCA_ENDPOINT")) == NULL) {
		fprintf(stderr, "pca: no endpoint: set HSMCA_ENDPOINT or give --endpoint-url "
		    "(source $HSMCA_HOME/env after scripts/up)\n");
		goto out;
	}
	if (creds_resolve(g.profile, g.region, &cr, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	if ((r = pca_client_open(g.endpoint, &cr, cr.region, g.timeout_s * 1000, &client)) != 0) {
		fprintf(stderr, "pca: cannot use endpoint %s: %s\n", g.endpoint, pca_err_str(r));
		goto out;
	}
	if (pca_call(client, op->service->name, op->name, in, &out, &perr) != 0) {
		fprintf(stderr, "\nAn error occurred (%s) when calling the %s operation: %s\n",
		    perr.code, op->name, perr.message);
		rc = EXIT_SERVICE;
		goto out;
	}
	if ((jout = codec_msg_to_json(out, CODEC_CLI)) == NULL) {
		fprintf(stderr, "pca: cannot print the answer\n");
		goto out;
	}
	cli_print_json(stdout, jout);
	rc = 0;
	if (authorize_acm && authorize_acm_renewals(client, out) != 0)
		rc = EXIT_SERVICE;
 out:
	json_decref(jin);
	json_decref(jout);
	if (in != NULL)
		protobuf_c_message_free_unpacked(in, NULL);
	if (out != NULL)
		protobuf_c_message_free_unpacked(out, NULL);
	pca_client_close(client);
	creds_clear(&cr);
	return rc;
}
