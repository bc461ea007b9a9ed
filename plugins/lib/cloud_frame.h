/* The frame of a cloud plugin (gce, azure): what every cloud does the same
 * way, with the cloud's own parts behind struct saba_cloud_ops.
 *
 *   settings      cloud_platform (auto, the cloud's name, none),
 *                 metadata_endpoint, api_endpoint, metadata_timeout,
 *                 api_timeout, poll_interval, confirm, sweep, sweep_interval,
 *                 absent_grace, the sweeper's scopes, sysfs;
 *   identity      is this machine on the cloud (DMI hint, then the metadata
 *                 service), its identity learnt once, customIdentifier and
 *                 meta.cloud for the host spec (the last complete meta.cloud
 *                 when the metadata service fails later);
 *   termination   a thread polls the cloud's termination signals and asks
 *                 the core to retire (SABA_STOP_TERMINATE) on one;
 *   confirmation  confirm_retire() for OS-level stops asks the cloud's API
 *                 within half the shutdown budget;
 *   host check    before retiring its own host, the Mackerel host must carry
 *                 this machine's customIdentifier;
 *   sweeper       started once its scopes are known.
 * Every doubt means "do not retire". */
#ifndef SABA_CLOUD_FRAME_H
#define SABA_CLOUD_FRAME_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <saba/plugin.h>

#include "cloud_sweep.h"

/* Is this machine on the cloud?  UNDECIDED is asked again later. */
enum saba_cloud_where { SABA_CLOUD_UNDECIDED, SABA_CLOUD_ELSEWHERE, SABA_CLOUD_HERE };

/* cloud_platform */
enum saba_cloud_platform { SABA_CLOUD_AUTO, SABA_CLOUD_ON, SABA_CLOUD_OFF };

/* What one poll of the termination signals found. */
enum saba_cloud_poll {
	SABA_CLOUD_POLL_QUIET = 0, /* nothing (or nothing new to tell): logged at debug */
	SABA_CLOUD_POLL_GOING = 1, /* this machine is going away for good */
	SABA_CLOUD_POLL_NOTE = 2,  /* a notice that does not retire: logged at info */
};

/* What the DMI files say. */
enum saba_cloud_dmi { SABA_CLOUD_DMI_NO, SABA_CLOUD_DMI_YES, SABA_CLOUD_DMI_UNKNOWN };

struct saba_cloud;

/* The cloud's own parts.  Functions are called without c->lock held; they
 * take it to read or store what they share with other threads. */
struct saba_cloud_ops {
	size_t size;		 /* the cloud's struct, which begins with a struct saba_cloud */
	const char *name;	 /* "GCE": log lines */
	const char *platform;	 /* "gce": cloud_platform's value for this cloud */
	const char *md_default;	 /* metadata_endpoint's default */
	const char *md_env;	 /* an environment variable overriding it, or NULL */
	const char *api_default; /* api_endpoint's default, or NULL (the cloud's choice) */
	const char *scopes_key;	 /* "sweep_projects" */
	int (*scope_ok)(const char *scope); /* a valid name for one */
	/* The cloud's own settings and resources, after the frame's (no I/O:
	 * configtest creates instances too); teardown undoes it, also after a
	 * failed setup.  Either may be NULL. */
	int (*setup)(struct saba_cloud *c);
	void (*teardown)(struct saba_cloud *c);
	/* What the DMI files under sysfs say (evidence: which file). */
	int (*dmi)(const char *sysfs, char *evidence, size_t len);
	/* The metadata service, asked once DMI could not tell: 1 this cloud,
	 * 0 another machine, -1 no answer. */
	int (*probe)(struct saba_cloud *c, char *why, size_t len);
	/* Learn the identity (called until it returns 0). */
	int (*learn)(struct saba_cloud *c, char *why, size_t len);
	/* The customIdentifier, once learnt, into buf: 0 or -1. */
	int (*custom_identifier)(struct saba_cloud *c, char *buf, size_t len);
	/* meta.cloud as JSON text (malloc'd), or NULL (why). */
	char *(*meta)(struct saba_cloud *c, char *why, size_t len);
	/* One poll of the termination signals: enum saba_cloud_poll;
	 * evidence says what was seen. */
	int (*poll)(struct saba_cloud *c, char *evidence, size_t len);
	/* After the poller's retire attempt (enum saba_retire_result); may
	 * be NULL. */
	void (*retired)(struct saba_cloud *c, int result);
	/* Is this machine being deleted?  SABA_CONFIRM_YES or _NO, asked
	 * before deadline_ms (saba_clock_ms() clock). */
	int (*confirm)(struct saba_cloud *c, int64_t deadline_ms, char *evidence, size_t len);
	/* This machine's own sweep scope (malloc'd), or NULL until learnt. */
	char *(*own_scope)(struct saba_cloud *c);
	/* The sweeper's side of the cloud; its arg is set to the instance. */
	const struct saba_sweep_cloud *sweep_cloud;
};

struct saba_cloud {
	const struct saba_cloud_ops *ops;
	const struct saba_host *host;
	saba_ctx *ctx;

	/* settings */
	int platform; /* enum saba_cloud_platform */
	char *md_endpoint, *api_endpoint, *sysfs;
	long md_timeout_ms, api_timeout_ms;
	int poll_interval, confirm, sweep, sweep_interval, absent_grace;
	char **scopes;
	int nscopes;

	int aborted; /* atomic: raised by stop(); ends transfers in flight */

	pthread_mutex_t lock;		     /* guards everything below and the cloud's identity */
	int where;			     /* enum saba_cloud_where */
	int known;			     /* the identity is learnt */
	char *cloud_json;		     /* the last complete meta.cloud */
	char *verified_host;		     /* host id seen with our customIdentifier */
	struct saba_sweep_cloud sweep_cloud; /* ops->sweep_cloud with arg = this */
	struct saba_cloud_sweep *sweeper;
	int sweep_tried;
	int spec_calls;
	int retire_final;    /* the poller's retire got a final answer */
	char last_poll[256]; /* the poller's last logged outcome */
	pthread_cond_t wake;
	pthread_t thread;
	int has_thread, quit;
};

/* The descriptor's create: a zeroed ops->size instance, the settings read
 * (SABA_INVALID, reported with config_error), then ops->setup. */
int saba_cloud_create(const struct saba_cloud_ops *ops, const struct saba_host *host, saba_ctx *ctx,
		      void **instance);

/* A string setting ("" when absent: NULL), for the cloud's own keys. */
int saba_cloud_string_setting(struct saba_cloud *c, const char *key, const char **out);
/* A boolean setting, which the plugin declares with a default. */
int saba_cloud_bool_setting(struct saba_cloud *c, const char *key, int *out);

/* Decide where this machine is (once decided, for good) and learn the
 * identity (once learnt, for good).  Returns enum saba_cloud_where; why says
 * why when it is not HERE with the identity known. */
int saba_cloud_identify(struct saba_cloud *c, char *why, size_t len);

/* The descriptor's destroy, host_spec, start, stop and confirm_retire, on
 * an instance saba_cloud_create() made. */
void saba_cloud_destroy(void *instance);
int saba_cloud_host_spec(void *instance);
int saba_cloud_start(void *instance);
void saba_cloud_stop(void *instance);
int saba_cloud_confirm(void *instance, const struct saba_retire_request *req, char *evidence,
		       size_t len);

/* Is this agent's Mackerel host the one with our customIdentifier?  1 yes,
 * 0 no (or a 4xx), -1 the API could not tell (5xx, 429, no answer); with
 * no answer at all, a check that passed earlier for the same host stands
 * (the agent's own requests end at once while it stops). */
int saba_cloud_check_host(struct saba_cloud *c, char *evidence, size_t len);

/* The first line of a small file under sysfs into buf; 0 or -1. */
int saba_cloud_dmi_read(const char *sysfs, const char *file, char *buf, size_t len);

/* The settings every cloud plugin takes, for its settings table: md and
 * api name its two services ("IMDS", "ARM"). */
/* clang-format off */
#define SABA_CLOUD_SETTINGS(md, api)                                                               \
	{.name = "metadata_timeout", .type = SABA_CFG_INT, .def = "2", .min = 1, .max = 60,        \
	 .description = "seconds per " md " request"},                                             \
	{.name = "api_timeout", .type = SABA_CFG_INT, .def = "10", .min = 1, .max = 300,           \
	 .description = "seconds per " api " request"},                                            \
	{.name = "poll_interval", .type = SABA_CFG_INT, .def = "5", .min = 0, .max = 3600,         \
	 .description = "seconds between polls of the termination notices (0: no poller)"},       \
	{.name = "confirm", .type = SABA_CFG_BOOL, .def = "true",                                  \
	 .description = "answer the retire routine from the " api},                                \
	{.name = "sweep", .type = SABA_CFG_BOOL, .def = "false",                                   \
	 .description = "run the fleet sweeper in this agent"},                                    \
	{.name = "sweep_interval", .type = SABA_CFG_INT, .def = "300", .min = 1, .max = 86400,     \
	 .description = "seconds between sweeps"},                                                 \
	{.name = "absent_grace", .type = SABA_CFG_INT, .def = "7200", .min = 0,                    \
	 .max = 365 * 86400,                                                                       \
	 .description = "seconds a machine must be absent before its host retires"},               \
	{.name = "sysfs", .type = SABA_CFG_STRING, .def = "\"/sys\"",                              \
	 .flags = SABA_SETTING_NONEMPTY, .description = "where sysfs is mounted, for DMI"}
/* clang-format on */

/* The descriptor and entry point of the cloud plugin whose cloud is ops
 * (a static const struct saba_cloud_ops). */
#define SABA_CLOUD_PLUGIN(plugin_name, plugin_description, settings_table, ops)                    \
	static int saba_cloud_plugin_create(const struct saba_host *host, saba_ctx *ctx,           \
					    void **instance)                                       \
	{                                                                                          \
		return saba_cloud_create(&(ops), host, ctx, instance);                             \
	}                                                                                          \
	static const struct saba_plugin saba_cloud_plugin = {                                      \
		SABA_PLUGIN_HEADER,                                                                \
		.name = plugin_name,                                                               \
		.version = "1.0.0",                                                                \
		.description = plugin_description,                                                 \
		.settings = settings_table,                                                        \
		.create = saba_cloud_plugin_create,                                                \
		.destroy = saba_cloud_destroy,                                                     \
		.host_spec = saba_cloud_host_spec,                                                 \
		.start = saba_cloud_start,                                                         \
		.stop = saba_cloud_stop,                                                           \
		.confirm_retire = saba_cloud_confirm,                                              \
	};                                                                                         \
	SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)                       \
	{                                                                                          \
		return &saba_cloud_plugin;                                                         \
	}

#endif
