/*
 * test_creds.c - credential and region resolution as the AWS CLI does it,
 * and writing the shared credentials file. Every case starts from an
 * environment without AWS_* variables and a private HOME.
 */
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"

#define NO_CREDS	"Unable to locate credentials. You can configure credentials " \
	"by running \"aws configure\"."

static char home[512], aws_dir[600], cred_file[700], cfg_file[700];

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_ptr_not_null(f);
	assert_int_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_eq(fclose(f), 0);
}

/* A fresh HOME (with ~/.aws) per case, and no AWS_* variables. */
static void
env_reset(void)
{
	static const char *vars[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_SECURITY_TOKEN",
	};
	static int n;

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	snprintf(home, sizeof(home), "%s/home%d", test_tmpdir(), ++n);
	assert_int_eq(mkdir(home, 0700), 0);
	snprintf(aws_dir, sizeof(aws_dir), "%s/.aws", home);
	assert_int_eq(mkdir(aws_dir, 0700), 0);
	snprintf(cred_file, sizeof(cred_file), "%s/credentials", aws_dir);
	snprintf(cfg_file, sizeof(cfg_file), "%s/config", aws_dir);
	setenv("HOME", home, 1);
}

static void
test_env(void)
{
	struct creds c;
	char why[256];

	env_reset();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret/env+", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDENV");
	assert_str_eq(c.secret_access_key, "secret/env+");
	assert_ptr_null(c.session_token);
	assert_ptr_null(c.region);
	creds_clear(&c);
	assert_ptr_null(c.secret_access_key);

	setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLE", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.session_token, "FwoGZXIvYXdzEXAMPLE");
	creds_clear(&c);
	creds_clear(&c);		/* twice is harmless */

	/* an empty variable is an unset one */
	setenv("AWS_SESSION_TOKEN", "", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_ptr_null(c.session_token);
	creds_clear(&c);
}

static void
test_env_partial(void)
{
	struct creds c;
	char why[256];

	env_reset();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_CONFIG);
	assert_str_eq(why, "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY");
	assert_ptr_null(c.access_key_id);
	/* a secret alone is no credentials at all (as botocore) */
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_NOT_FOUND);
}

static void
test_missing_file(void)
{
	struct creds c;
	char why[256];

	env_reset();
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_NOT_FOUND);
	assert_str_eq(why, NO_CREDS);
	assert_ptr_null(c.access_key_id);
	/* an explicit path that does not exist is the same */
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_NOT_FOUND);
	assert_str_eq(why, NO_CREDS);
	/* /dev/null is the usual way of saying "no file" */
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_NOT_FOUND);
	/* a file without [default] gives no credentials for the default */
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	write_text(cred_file, "[other]\naws_access_key_id=A\naws_secret_access_key=B\n");
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_NOT_FOUND);
	assert_str_eq(why, NO_CREDS);
}

static const char sample[] =
    "\xef\xbb\xbf# written by hand\r\n"
    "; another comment\r\n"
    "\r\n"
    "[default]\r\n"
    "aws_access_key_id = AKIDDEFAULT\r\n"
    "aws_secret_access_key=secretdefault\r\n"
    "\r\n"
    "[dev]\n"
    "  aws_access_key_id   =   AKIDDEV   \n"
    "AWS_SECRET_ACCESS_KEY: secret#dev;not-a-comment\n"
    "aws_session_token = tokdev\n"
    "s3 =\n"
    "    max_concurrent_requests = 20\n"
    "\t# an indented comment\n"
    "[Dev] ; trailing text after the header is ignored, as configparser\n"
    "aws_access_key_id = AKIDUPPER\n"
    "aws_secret_access_key = secretupper\n";

static void
test_file_profiles(void)
{
	struct creds c;
	char why[256];

	env_reset();
	write_text(cred_file, sample);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDDEFAULT");
	assert_str_eq(c.secret_access_key, "secretdefault");
	assert_ptr_null(c.session_token);
	creds_clear(&c);

	assert_int_eq(creds_resolve("dev", NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDDEV");
	/* no inline comments, as configparser: the '#' is part of the value */
	assert_str_eq(c.secret_access_key, "secret#dev;not-a-comment");
	assert_str_eq(c.session_token, "tokdev");
	creds_clear(&c);

	/* profile names are case-sensitive */
	assert_int_eq(creds_resolve("Dev", NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDUPPER");
	creds_clear(&c);

	setenv("AWS_PROFILE", "dev", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDDEV");
	creds_clear(&c);
	/* the explicit profile wins over AWS_PROFILE */
	assert_int_eq(creds_resolve("default", NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDDEFAULT");
	creds_clear(&c);
}

static void
test_env_versus_profile(void)
{
	struct creds c;
	char why[256];

	env_reset();
	write_text(cred_file, sample);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	/* the environment beats the default profile and AWS_PROFILE */
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDENV");
	creds_clear(&c);
	setenv("AWS_PROFILE", "dev", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDENV");
	creds_clear(&c);
	/* but an explicit profile (--profile) beats the environment */
	assert_int_eq(creds_resolve("dev", NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDDEV");
	assert_str_eq(c.session_token, "tokdev");
	creds_clear(&c);
}

static void
test_missing_profile(void)
{
	struct creds c;
	char why[256];

	env_reset();
	write_text(cred_file, sample);
	assert_int_eq(creds_resolve("nope", NULL, &c, why, sizeof(why)), PCA_ERR_CONFIG);
	assert_str_eq(why, "The config profile (nope) could not be found");
	assert_ptr_null(c.access_key_id);
	setenv("AWS_PROFILE", "gone", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_CONFIG);
	assert_str_eq(why, "The config profile (gone) could not be found");
	/* even with credentials in the environment, as the AWS CLI */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_CONFIG);
	/* and with no file at all */
	unlink(cred_file);
	assert_int_eq(creds_resolve("nope", NULL, &c, why, sizeof(why)), PCA_ERR_CONFIG);
	assert_str_eq(why, "The config profile (nope) could not be found");
}

static void
test_file_errors(void)
{
	struct creds c;
	char why[256];

	env_reset();
	write_text(cred_file, "aws_access_key_id = A\n[default]\n");
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_CONFIG);
	assert_str_contains(why, "Unable to parse config file: ");
	assert_str_contains(why, "(line 1)");
	write_text(cred_file, "[default]\naws_access_key_id = A\njunk line\n");
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_CONFIG);
	assert_str_contains(why, "(line 3)");
	write_text(cred_file, "[default\naws_access_key_id = A\n");
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_CONFIG);
	write_text(cred_file, "[ ]\naws_access_key_id = A\n");
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_CONFIG);
	write_text(cred_file, "[default]\n = A\n");
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_CONFIG);
	/* a key id without its secret */
	write_text(cred_file, "[default]\naws_access_key_id = A\n");
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), PCA_ERR_CONFIG);
	assert_str_eq(why, "Partial credentials found in shared-credentials-file, "
	    "missing: aws_secret_access_key");
	/* unreadable */
	write_text(cred_file, "[default]\naws_access_key_id = A\naws_secret_access_key = B\n");
	assert_int_eq(chmod(cred_file, 0), 0);
	if (access(cred_file, R_OK) != 0) {	/* root reads anyway */
		assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)),
		    PCA_ERR_CONFIG);
		assert_str_contains(why, "Unable to read ");
	} else
		test_diag("running as root: unreadable-file case skipped");
	assert_int_eq(chmod(cred_file, 0600), 0);
	assert_ptr_null(c.access_key_id);
}

static void
test_config_file(void)
{
	struct creds c;
	char why[256];

	env_reset();
	/* credentials in the config file are used when the credentials file
	 * has none; bare [dev] in the config file is not profile dev */
	write_text(cfg_file,
	    "[default]\nregion = eu-west-1\n"
	    "[profile   cfgonly]\naws_access_key_id = AKIDCFG\n"
	    "aws_secret_access_key = secretcfg\nregion = ap-south-1\n"
	    "[dev]\nregion = wrong-1\n"
	    "[profile dev]\nregion = us-west-2\n");
	write_text(cred_file, sample);
	assert_int_eq(creds_resolve("cfgonly", NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDCFG");
	assert_str_eq(c.region, "ap-south-1");
	creds_clear(&c);
	assert_int_eq(creds_resolve("dev", NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDDEV");
	assert_str_eq(c.region, "us-west-2");
	creds_clear(&c);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.region, "eu-west-1");
	creds_clear(&c);
	/* AWS_CONFIG_FILE moves it */
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_ptr_null(c.region);
	creds_clear(&c);
}

static void
test_region_order(void)
{
	struct creds c;
	char why[256];

	env_reset();
	write_text(cred_file, sample);
	write_text(cfg_file, "[default]\nregion = cfg-region-1\n");
	setenv("AWS_DEFAULT_REGION", "default-region-1", 1);
	setenv("AWS_REGION", "region-1", 1);

	assert_int_eq(creds_resolve(NULL, "explicit-1", &c, why, sizeof(why)), 0);
	assert_str_eq(c.region, "explicit-1");
	creds_clear(&c);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.region, "region-1");
	creds_clear(&c);
	unsetenv("AWS_REGION");
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.region, "default-region-1");
	creds_clear(&c);
	unsetenv("AWS_DEFAULT_REGION");
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.region, "cfg-region-1");
	creds_clear(&c);
	/* botocore merges the credentials file over the config file */
	write_text(cred_file, "[default]\naws_access_key_id = A\n"
	    "aws_secret_access_key = B\nregion = cred-region-1\n");
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.region, "cred-region-1");
	creds_clear(&c);
	unlink(cfg_file);
	write_text(cred_file, sample);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_ptr_null(c.region);
	creds_clear(&c);
	/* with environment credentials too */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	write_text(cfg_file, "[default]\nregion = cfg-region-1\n");
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDENV");
	assert_str_eq(c.region, "cfg-region-1");
	creds_clear(&c);
}

static void
test_paths(void)
{
	struct creds c;
	char why[256], path[800];

	env_reset();
	/* AWS_SHARED_CREDENTIALS_FILE, with "~" expanded as botocore does */
	snprintf(path, sizeof(path), "%s/elsewhere", home);
	write_text(path, "[default]\naws_access_key_id = AKIDELSE\n"
	    "aws_secret_access_key = s\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere", 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDELSE");
	creds_clear(&c);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDELSE");
	creds_clear(&c);
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_write_file(void)
{
	struct creds c;
	struct stat st;
	char why[256], dir[800], path[900];
	mode_t old;

	env_reset();
	snprintf(dir, sizeof(dir), "%s/newdir", home);
	snprintf(path, sizeof(path), "%s/credentials", dir);
	/* a permissive umask must not loosen the file */
	old = umask(0);
	assert_int_eq(creds_write_file(path, "admin", "AKIDWRITTEN",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), 0);
	umask(old);
	assert_int_eq(stat(path, &st), 0);
	assert_int_eq(st.st_mode & 07777, 0600);
	assert_int_eq(stat(dir, &st), 0);
	assert_int_eq(st.st_mode & 0777, 0700);	/* created like ~/.aws */
	assert_int_eq(count_entries(dir), 1);		/* no temporary left */

	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	assert_int_eq(creds_resolve("admin", NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDWRITTEN");
	assert_str_eq(c.secret_access_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	assert_ptr_null(c.session_token);
	creds_clear(&c);

	/* replacing a loose existing file: the new one is 0600 */
	assert_int_eq(chmod(path, 0644), 0);
	assert_int_eq(creds_write_file(path, NULL, "AKIDTWO", "secret2"), 0);
	assert_int_eq(stat(path, &st), 0);
	assert_int_eq(st.st_mode & 07777, 0600);
	assert_int_eq(count_entries(dir), 1);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDTWO");
	creds_clear(&c);
	assert_int_eq(creds_resolve("admin", NULL, &c, why, sizeof(why)), PCA_ERR_CONFIG);

	/* values that would not read back are refused, and nothing written */
	assert_int_eq(creds_write_file(path, "p", "AKID", "sec\nret"), PCA_ERR_INVALID);
	assert_int_eq(creds_write_file(path, "p", "AKID", " secret"), PCA_ERR_INVALID);
	assert_int_eq(creds_write_file(path, "p]", "AKID", "secret"), PCA_ERR_INVALID);
	assert_int_eq(creds_write_file(path, "p", "", "secret"), PCA_ERR_INVALID);
	assert_int_eq(creds_write_file(path, "p", "AKID", NULL), PCA_ERR_INVALID);
	assert_int_eq(creds_resolve(NULL, NULL, &c, why, sizeof(why)), 0);
	assert_str_eq(c.access_key_id, "AKIDTWO");
	creds_clear(&c);

	/* an unwritable place fails cleanly */
	assert_int_eq(creds_write_file("/nonexistent/dir/credentials", NULL, "A", "B"),
	    PCA_ERR_IO);
}

int
main(void)
{
	test_run("creds/env", test_env);
	test_run("creds/env_partial", test_env_partial);
	test_run("creds/missing_file", test_missing_file);
	test_run("creds/file_profiles", test_file_profiles);
	test_run("creds/env_versus_profile", test_env_versus_profile);
	test_run("creds/missing_profile", test_missing_profile);
	test_run("creds/file_errors", test_file_errors);
	test_run("creds/config_file", test_config_file);
	test_run("creds/region_order", test_region_order);
	test_run("creds/paths", test_paths);
	test_run("creds/write_file", test_write_file);
	return test_done();
}
