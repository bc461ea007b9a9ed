/*
 * ec2: the EC2 plugin.  Three jobs, each optional:
 *   identity      host_spec() contributes customIdentifier
 *                 "<instance-id>.ec2.amazonaws.com" and meta.cloud as
 *                 mackerel-agent does, so a new install adopts the host AWS
 *                 integration or an earlier agent created;
 *   termination   a thread polls IMDS (spot/instance-action = terminate,
 *                 autoscaling/target-lifecycle-state = Terminated) and asks
 *                 the core to retire (SABA_STOP_TERMINATE) when either says
 *                 the instance is going away; confirm_retire() answers the
 *                 retire routine for OS-level stops from DescribeInstances
 *                 (only shutting-down and terminated say yes: an EC2 stop
 *                 powers the OS off too);
 *   sweeper       with sweep = true, the fleet sweeper (sweep.c).
 * Before retiring its own host it checks that the Mackerel host carries
 * this instance's customIdentifier.  Every doubt means "do not retire".
 *
 * Settings: saba_ec2_settings below (`saba-agent plugins ec2` lists them
 * with their defaults).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <saba/plugin.h>

#include "classify.h"
#include "identity.h"
#include "poller.h"
#include "self.h"
#include "lib/clock.h"
#include "lib/plugconf.h"

#define SABA_EC2_IMDS_DEFAULT "http://169.254.169.254"
#define SABA_EC2_ID_ATTEMPTS  3 /* identity lookups at start, 1 s apart */

static const char *const saba_ec2_platforms[] = {"auto", "ec2", "none", NULL};

static const struct saba_setting saba_ec2_settings[] = {
	{.name = "cloud_platform",
	 .type = SABA_CFG_STRING,
	 .def = "\"auto\"",
	 .allowed = saba_ec2_platforms,
	 .description = "auto: EC2 when the DMI uuid and IMDS say so"},
	{.name = "imds_endpoint",
	 .type = SABA_CFG_STRING,
	 .description = "IMDS base URL; absent: $AWS_EC2_METADATA_SERVICE_ENDPOINT, "
			"else " SABA_EC2_IMDS_DEFAULT},
	{.name = "ec2_endpoint",
	 .type = SABA_CFG_STRING,
	 .description = "EC2 API base URL; absent: $AWS_ENDPOINT_URL_EC2, else "
			"https://ec2.<region>.amazonaws.com"},
	{.name = "imds_timeout",
	 .type = SABA_CFG_INT,
	 .def = "2",
	 .min = 1,
	 .max = 60,
	 .description = "seconds per IMDS request"},
	{.name = "ec2_timeout",
	 .type = SABA_CFG_INT,
	 .def = "10",
	 .min = 1,
	 .max = 300,
	 .description = "seconds per EC2 request"},
	{.name = "poll_interval",
	 .type = SABA_CFG_INT,
	 .def = "5",
	 .min = 0,
	 .max = 3600,
	 .description = "seconds between IMDS termination polls (0: no poller)"},
	{.name = "confirm",
	 .type = SABA_CFG_BOOL,
	 .def = "true",
	 .description = "answer the retire routine from the instance state"},
	{.name = "sweep",
	 .type = SABA_CFG_BOOL,
	 .def = "false",
	 .description = "run the fleet sweeper in this agent"},
	{.name = "sweep_interval",
	 .type = SABA_CFG_INT,
	 .def = "300",
	 .min = 1,
	 .max = 86400,
	 .description = "seconds between sweeps"},
	{.name = "absent_grace",
	 .type = SABA_CFG_INT,
	 .def = "7200",
	 .min = 0,
	 .max = 365 * 86400,
	 .description = "seconds an instance must be absent before its host retires"},
	{.name = "sweep_regions",
	 .type = SABA_CFG_STRING_LIST,
	 .description = "regions to sweep; absent: this instance's region (required with "
			"cloud_platform \"none\")"},
	{.name = "sysfs",
	 .type = SABA_CFG_STRING,
	 .def = "\"/sys\"",
	 .flags = SABA_SETTING_NONEMPTY,
	 .description = "where sysfs is mounted, for the DMI uuid"},
	{.name = "probe_without_dmi",
	 .type = SABA_CFG_BOOL,
	 .def = "true",
	 .description = "with cloud_platform \"auto\" and no DMI to tell, ask IMDS whether this "
			"is EC2 (false: it is not, as mackerel-agent decides on Linux)"},
	{.name = "leave_off_cloud",
	 .type = SABA_CFG_BOOL,
	 .def = "false",
	 .description = "with cloud_platform \"auto\": when DMI says this is not EC2, leave the "
			"instance out at start (the agent sets it on the instance cloud_platform "
			"\"auto\" adds; only that one may be left out)"},
	{.name = NULL},
};

/* ------------------------------------------------------------------ */
/* settings                                                             */

/* A setting with a default: the agent supplies it when absent. */
static int saba_ec2_bool_setting(struct saba_ec2 *e, const char *key, int *out)
{
	return e->host->config_bool(e->ctx, key, out) == SABA_OK ? SABA_OK : SABA_INVALID;
}

/* A URL setting, else the environment variable, else def (may be NULL). */
static int saba_ec2_url_setting(struct saba_ec2 *e, const char *key, const char *env,
				const char *def, char **out)
{
	const char *v = NULL, *from = key;
	int rc = e->host->config_string(e->ctx, key, &v);

	if (rc != SABA_OK && rc != SABA_NOTFOUND)
		return SABA_INVALID;
	if (rc == SABA_NOTFOUND) {
		v = getenv(env);
		from = env;
		if (v == NULL || *v == '\0')
			v = def;
	}
	if (v == NULL) {
		*out = NULL;
		return SABA_OK;
	}
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
		e->host->config_error(e->ctx, key,
				      "%s must be an http:// or https:// URL, not \"%s\"", from, v);
		return SABA_INVALID;
	}
	*out = strdup(v);
	return *out != NULL ? SABA_OK : SABA_ERROR;
}

static int saba_ec2_regions_setting(struct saba_ec2 *e)
{
	int n = e->host->config_count(e->ctx, "sweep_regions");

	if (n == SABA_NOTFOUND)
		return SABA_OK;
	if (n < 0)
		return SABA_INVALID;
	if (n == 0) {
		e->host->config_error(e->ctx, "sweep_regions", "must name at least one region");
		return SABA_INVALID;
	}
	e->regions = calloc((size_t)n, sizeof(*e->regions));
	if (e->regions == NULL)
		return SABA_ERROR;
	for (int i = 0; i < n; i++) {
		const char *r = NULL;

		if (e->host->config_element(e->ctx, "sweep_regions", i, NULL, &r) != SABA_OK)
			return SABA_INVALID;
		if (!saba_ec2_valid_region(r)) {
			e->host->config_error(e->ctx, "sweep_regions",
					      "\"%s\" is not a region name like \"us-east-1\"", r);
			return SABA_INVALID;
		}
		e->regions[e->nregions] = strdup(r);
		if (e->regions[e->nregions++] == NULL)
			return SABA_ERROR;
	}
	return SABA_OK;
}

static int saba_ec2_read_settings(struct saba_ec2 *e)
{
	const char *platform = NULL, *sysfs = NULL;
	int rc, imds_s, ec2_s;

	/* the agent has checked both against the settings, defaults included */
	if (e->host->config_string(e->ctx, "cloud_platform", &platform) != SABA_OK ||
	    e->host->config_string(e->ctx, "sysfs", &sysfs) != SABA_OK)
		return SABA_INVALID;
	e->platform = strcmp(platform, "ec2") == 0    ? SABA_EC2_ON
		      : strcmp(platform, "none") == 0 ? SABA_EC2_NONE
						      : SABA_EC2_AUTO;
	if ((e->sysfs = strdup(sysfs)) == NULL)
		return SABA_ERROR;
	if ((rc = saba_ec2_url_setting(e, "imds_endpoint", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
				       SABA_EC2_IMDS_DEFAULT, &e->imds_endpoint)) != SABA_OK ||
	    (rc = saba_ec2_url_setting(e, "ec2_endpoint", "AWS_ENDPOINT_URL_EC2", NULL,
				       &e->ec2_endpoint)) != SABA_OK ||
	    (rc = saba_plugconf_int(e->host, e->ctx, "imds_timeout", &imds_s)) != SABA_OK ||
	    (rc = saba_plugconf_int(e->host, e->ctx, "ec2_timeout", &ec2_s)) != SABA_OK ||
	    (rc = saba_plugconf_int(e->host, e->ctx, "poll_interval", &e->poll_interval)) !=
		    SABA_OK ||
	    (rc = saba_ec2_bool_setting(e, "confirm", &e->confirm)) != SABA_OK ||
	    (rc = saba_ec2_bool_setting(e, "sweep", &e->sweep)) != SABA_OK ||
	    (rc = saba_ec2_bool_setting(e, "probe_without_dmi", &e->probe_without_dmi)) !=
		    SABA_OK ||
	    (rc = saba_ec2_bool_setting(e, "leave_off_cloud", &e->leave_off_cloud)) != SABA_OK ||
	    (rc = saba_plugconf_int(e->host, e->ctx, "sweep_interval", &e->sweep_interval)) !=
		    SABA_OK ||
	    (rc = saba_plugconf_int(e->host, e->ctx, "absent_grace", &e->absent_grace)) !=
		    SABA_OK ||
	    (rc = saba_ec2_regions_setting(e)) != SABA_OK)
		return rc;
	e->imds_timeout_ms = imds_s * 1000L;
	e->ec2_timeout_ms = ec2_s * 1000L;
	if (e->sweep && e->platform == SABA_EC2_NONE && e->nregions == 0) {
		e->host->config_error(
			e->ctx, "sweep_regions",
			"is required for sweep = true with cloud_platform = \"none\"");
		return SABA_INVALID;
	}
	if (e->sweep &&
	    (!SABA_HOST_HAS(e->host, api_request) || !SABA_HOST_HAS(e->host, retire_host))) {
		e->host->config_error(e->ctx, "sweep",
				      "needs an agent with plugin ABI 1.2 or later");
		return SABA_INVALID;
	}
	return SABA_OK;
}

/* ------------------------------------------------------------------ */
/* identity                                                             */

static int saba_ec2_host_spec(void *instance)
{
	struct saba_ec2 *e = instance;
	char why[256] = "", ci[128], *id = NULL, *region = NULL, *cloud, json[160];
	int where = SABA_EC2_UNDECIDED, attempts;

	if (e->platform == SABA_EC2_NONE)
		return SABA_OK;
	/* The first lookup decides adoption by customIdentifier: give a slow
	 * IMDS a few chances, as mackerel-agent does; hourly ones get one. */
	attempts = e->spec_calls++ == 0 ? SABA_EC2_ID_ATTEMPTS : 1;
	for (int i = 0; i < attempts; i++) {
		where = saba_ec2_identify(e, why, sizeof(why));
		saba_ec2_ids(e, &id, &region);
		if (where == SABA_EC2_NOT_EC2 || id != NULL)
			break;
		free(region);
		if (i + 1 < attempts)
			nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
	}
	if (where == SABA_EC2_NOT_EC2)
		goto out;
	if (id == NULL) {
		e->host->log(e->ctx, SABA_LOG_WARNING,
			     "no EC2 identity for the host spec (no customIdentifier): %s", why);
		goto out;
	}
	saba_ec2_custom_identifier(id, ci, sizeof(ci));
	snprintf(json, sizeof(json), "\"%s\"", ci);
	e->host->spec_set(e->ctx, "customIdentifier", json);

	cloud = saba_ec2_cloud_meta(e->imds, why, sizeof(why));
	pthread_mutex_lock(&e->lock);
	if (cloud != NULL) {
		free(e->cloud_json);
		e->cloud_json = cloud;
	} else if (e->cloud_json != NULL) {
		e->host->log(e->ctx, SABA_LOG_WARNING,
			     "meta.cloud: %s; sending the last complete answer", why);
	} else {
		e->host->log(e->ctx, SABA_LOG_WARNING, "no meta.cloud: %s", why);
	}
	if (e->cloud_json != NULL)
		e->host->spec_set(e->ctx, "meta.cloud", e->cloud_json);
	pthread_mutex_unlock(&e->lock);
out:
	free(id);
	free(region);
	return SABA_OK;
}

/* ------------------------------------------------------------------ */
/* confirmation                                                         */

/* The EC2 client for our own region, made on first use. */
static struct saba_aws *saba_ec2_aws(struct saba_ec2 *e, const char *region)
{
	struct saba_aws *a;

	pthread_mutex_lock(&e->lock);
	if (e->aws == NULL) {
		struct saba_aws_config c = {
			.region = region,
			.endpoint = e->ec2_endpoint,
			.timeout_ms = e->ec2_timeout_ms,
			.imds_get = saba_ec2_imds_fn,
			.imds_arg = e->imds,
		};

		e->aws = saba_aws_new(&c);
	}
	a = e->aws;
	pthread_mutex_unlock(&e->lock);
	return a;
}

/* What DescribeInstances said about our instance. */
struct saba_ec2_seen {
	const char *want;
	int found, code;
	char name[32];
};

static int saba_ec2_on_instance(void *arg, const char *instance_id, const char *state_name,
				int state_code)
{
	struct saba_ec2_seen *s = arg;
	const char *name = state_name != NULL ? state_name : "";

	if (instance_id == NULL || strcmp(instance_id, s->want) != 0)
		return 0; /* not asked for: ignored */
	/* Two answers for one id must agree; a differing one means "no". */
	if (s->found && (s->code != state_code || strcmp(s->name, name) != 0))
		s->code = -1;
	else
		s->code = state_code;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->found = 1;
	return 0;
}

static int saba_ec2_confirm_retire(void *instance, const struct saba_retire_request *req,
				   char *evidence, size_t len)
{
	struct saba_ec2 *e = instance;
	struct saba_ec2_seen seen = {0};
	char why[256] = "", err[256] = "", *id = NULL, *region = NULL;
	const char *ids[1];
	struct saba_aws *aws;
	int64_t deadline, budget_ms;
	int answer = SABA_CONFIRM_NO, where, ok;
	size_t used;

	if (e->platform == SABA_EC2_NONE || !e->confirm)
		return SABA_CONFIRM_NOT_APPLICABLE;
	where = saba_ec2_identify(e, why, sizeof(why));
	if (where == SABA_EC2_NOT_EC2) {
		snprintf(evidence, len, "%s", why);
		return SABA_CONFIRM_NOT_APPLICABLE;
	}
	if (where == SABA_EC2_UNDECIDED) {
		snprintf(evidence, len, "%s", why);
		return SABA_CONFIRM_NO;
	}
	if (req == NULL || !saba_ec2_kind_needs_state(req->kind)) {
		snprintf(evidence, len, "an EC2 instance keeps running through this kind of stop");
		return SABA_CONFIRM_NO;
	}
	saba_ec2_ids(e, &id, &region);
	if (id == NULL || region == NULL) {
		snprintf(evidence, len, "own instance id or region unknown: %s", why);
		goto out;
	}
	aws = saba_ec2_aws(e, region);
	if (aws == NULL) {
		snprintf(evidence, len, "no EC2 API client for %s", region);
		goto out;
	}
	/* Leave at least half of the shutdown budget to the retire call. */
	budget_ms = e->host->shutdown_budget(e->ctx) * 1000LL / 2;
	deadline = 2 * e->ec2_timeout_ms;
	if (budget_ms > 0 && budget_ms < deadline)
		deadline = budget_ms;
	deadline += saba_clock_ms();
	ids[0] = id;
	seen.want = id;
	if (saba_ec2_describe(aws, ids, 1, deadline, saba_ec2_on_instance, &seen, err,
			      sizeof(err)) != 0) {
		snprintf(evidence, len, "DescribeInstances %s in %s failed: %s", id, region, err);
		goto out;
	}
	answer =
		saba_ec2_confirm_state(id, region, seen.found, seen.name, seen.code, evidence, len);
	if (answer != SABA_CONFIRM_YES)
		goto out;
	ok = saba_ec2_check_host(e, id, why, sizeof(why)) > 0;
	used = strlen(evidence);
	snprintf(evidence + used, len - used, "%s%s", ok ? "; " : ", but ", why);
	if (!ok)
		answer = SABA_CONFIRM_NO;
out:
	e->host->log(e->ctx, SABA_LOG_NOTICE, "confirm %s: %s",
		     answer == SABA_CONFIRM_YES ? "yes" : "no", evidence);
	free(id);
	free(region);
	return answer;
}

static int saba_ec2_start(void *instance)
{
	return saba_ec2_background_start(instance);
}

static void saba_ec2_stop(void *instance)
{
	saba_ec2_background_stop(instance);
}

/* ------------------------------------------------------------------ */
/* lifecycle                                                            */

static void saba_ec2_destroy(void *instance)
{
	struct saba_ec2 *e = instance;

	if (e == NULL)
		return;
	saba_aws_free(e->aws);
	saba_imds_free(e->imds);
	for (int i = 0; i < e->nregions; i++)
		free(e->regions[i]);
	free(e->regions);
	free(e->imds_endpoint);
	free(e->ec2_endpoint);
	free(e->sysfs);
	free(e->instance_id);
	free(e->region);
	free(e->cloud_json);
	free(e->verified_host);
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* The instance cloud_platform "auto" adds, on a machine DMI says is not
 * EC2 (as the identity would decide it): nothing for it to do, and its
 * libraries (libcurl, libexpat) need not stay mapped. */
static int saba_ec2_elsewhere(struct saba_ec2 *e)
{
	char evidence[256];
	int dmi;

	if (!e->leave_off_cloud || e->platform != SABA_EC2_AUTO || e->sweep)
		return 0;
	dmi = saba_ec2_dmi_check(e->sysfs, evidence, sizeof(evidence));
	if (dmi == SABA_EC2_DMI_YES || (dmi == SABA_EC2_DMI_UNKNOWN && e->probe_without_dmi))
		return 0;
	e->host->log(e->ctx, SABA_LOG_INFO, "not EC2: %s; nothing for this instance to do",
		     evidence);
	return 1;
}

static int saba_ec2_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_ec2 *e = calloc(1, sizeof(*e));
	int rc;

	if (e == NULL)
		return SABA_ERROR;
	e->host = host;
	e->ctx = ctx;
	pthread_mutex_init(&e->lock, NULL);
	saba_clock_cond_init(&e->wake);
	rc = saba_ec2_read_settings(e);
	if (rc != SABA_OK)
		goto fail;
	if (saba_ec2_elsewhere(e)) {
		rc = SABA_NOTFOUND;
		goto fail;
	}
	/* No network here: configtest creates instances too. */
	e->imds = saba_imds_new(e->imds_endpoint, e->imds_timeout_ms);
	if (e->imds == NULL) {
		rc = SABA_ERROR;
		goto fail;
	}
	*instance = e;
	return SABA_OK;
fail:
	if (rc == SABA_ERROR)
		host->log(ctx, SABA_LOG_ERR, "out of memory");
	saba_ec2_destroy(e);
	return rc;
}

static const struct saba_plugin saba_ec2_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "ec2",
	.version = "1.0.0",
	.description = "EC2 identity, termination signals, retire confirmation, fleet sweeper",
	.settings = saba_ec2_settings,
	.create = saba_ec2_create,
	.destroy = saba_ec2_destroy,
	.host_spec = saba_ec2_host_spec,
	.start = saba_ec2_start,
	.stop = saba_ec2_stop,
	.confirm_retire = saba_ec2_confirm_retire,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_ec2_plugin;
}
