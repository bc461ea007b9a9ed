/*
 * saba-agent plugin ABI.
 *
 * Every metric source and every shutdown trigger is a shared object that
 * exports exactly one symbol, saba_plugin_entry(), returning a pointer to a
 * static const struct saba_plugin.  The agent hands each configured instance a
 * const struct saba_host: a versioned table of functions (logging, emitting
 * values, reading the instance's configuration, the host id and spec, and the
 * agent's retire routine).  Plugins never link against agent symbols.
 *
 * Versioning policy
 *   - Both structs begin with abi_major, abi_minor and struct_size and only
 *     ever grow at their end.  A plugin built against an older minor works
 *     with a newer agent: the agent copies min(struct_size, sizeof) bytes and
 *     treats a missing or NULL member as "not implemented".
 *   - A plugin must check SABA_HOST_HAS(host, member) before using a host
 *     function added after minor 0.
 *   - abi_major changes only when an existing member changes meaning; the
 *     agent refuses a plugin whose major differs from its own.
 *
 * Changelog
 *   1.0  first public ABI.
 *   1.1  host: emit_ex (own timestamp, other hosts by customIdentifier),
 *        graph_defs, report_check.  Host spec arrays ("checks") from
 *        several instances are concatenated.
 *   1.2  host: api_request (Mackerel API calls for plugins that manage
 *        other hosts), retire_host (a fleet sweeper retires hosts whose
 *        machine is gone, through the same audited sending path).
 *   1.3  descriptor: settings (declared settings: type, default, range or
 *        allowed values, description; the agent applies and checks them).
 *   1.4  host: put_metadata (host metadata, as mackerel-agent's metadata
 *        plugins send it).  Settings: SABA_CFG_TABLE (a group of any
 *        settings), read through dotted keys ("action.command");
 *        config_element() with value NULL names an element of any type;
 *        SABA_SETTING_MINUTES / _SECONDS (an integer also written as a Go
 *        duration string, "1h30m").
 *
 * Threading rules
 *   - entry() must only return a pointer to static const data.
 *   - create/destroy/start/stop are called from the agent's main thread.
 *   - collect() of one instance is never called concurrently with itself but
 *     may run concurrently with other instances, on one of the agent's
 *     collect workers (not always the same thread from round to round); it
 *     must not sleep for long (the agent does not wait for it, but a busy
 *     instance misses ticks).
 *   - host_spec() is called from the main thread (at start, hourly, after a
 *     reload) and may run while the same instance's collect() runs: it must
 *     not touch state collect() changes without a lock of its own.
 *   - shutdown() is called once on the agent's stop, on a worker thread.
 *   - confirm_retire() may be called from any thread.
 *   - host functions are thread-safe unless noted.
 *   - No mutable file-level state: keep everything in the instance.
 */
#ifndef SABA_PLUGIN_H
#define SABA_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SABA_PLUGIN_ABI_MAJOR 1
#define SABA_PLUGIN_ABI_MINOR 4

#if defined(_WIN32)
#define SABA_PLUGIN_EXPORT __declspec(dllexport)
#else
#define SABA_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

#if defined(__GNUC__)
#define SABA_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SABA_PRINTF(a, b)
#endif

/* Name of the one exported symbol. */
#define SABA_PLUGIN_ENTRY_SYMBOL "saba_plugin_entry"

/* Return codes of plugin callbacks and host functions. */
enum saba_status {
	SABA_OK = 0,
	SABA_ERROR = -1,    /* failed; the agent logs and carries on */
	SABA_NOTFOUND = -2, /* config key or value absent */
	SABA_INVALID = -3,  /* bad argument or bad config value */
};

/* Log levels, syslog numbering. */
enum saba_log_level {
	SABA_LOG_ERR = 3,
	SABA_LOG_WARNING = 4,
	SABA_LOG_NOTICE = 5,
	SABA_LOG_INFO = 6,
	SABA_LOG_DEBUG = 7,
};

/* Types of configuration keys a plugin declares in its schema. */
enum saba_config_type {
	SABA_CFG_STRING = 1,
	SABA_CFG_INT,
	SABA_CFG_FLOAT,
	SABA_CFG_BOOL,
	SABA_CFG_STRING_LIST, /* [ "a", "b" ] */
	SABA_CFG_GROUP,	      /* { key = "value"; ... } of strings */
	SABA_CFG_STRING_OR_LIST,
	SABA_CFG_TABLE, /* { key = any; ... }: read with dotted keys (ABI 1.4) */
};

/* One entry of a plugin's config schema before ABI 1.3 (a 1.3 plugin
 * declares struct saba_setting instead); the table ends with name == NULL.
 * The agent rejects keys not in the table (and "module") with file:line. */
struct saba_config_key {
	const char *name;
	int type; /* enum saba_config_type */
	const char *description;
};

/*
 * One setting a plugin declares (ABI 1.3), in a table that ends with
 * name == NULL.  The agent checks every configured value against it before
 * create() (one FILE:LINE line naming the key, the value and what is
 * allowed), hands the default to the config_* functions when the key is
 * absent, refuses keys not in the table, and lists the table in
 * `saba-agent plugins -v`.  So create() reads values that are there (or
 * have no default) and in range, and writes no default and no range check
 * of its own.  An element of a table: this layout never changes.
 */
struct saba_setting {
	const char *name;
	int type;		    /* enum saba_config_type */
	const char *def;	    /* the default, as the config writes it: "30",
				     * "\"/proc\"", "true", "[\"poweroff\"]";
				     * NULL: none (the key is then absent) */
	double min, max;	    /* SABA_CFG_INT, SABA_CFG_FLOAT: the values
				     * allowed are min..max (both 0: any;
				     * max SABA_SETTING_UNBOUNDED: min or more) */
	const char *const *allowed; /* strings (and each element of a list):
				     * the values allowed, NULL-terminated;
				     * NULL: any */
	uint32_t flags;		    /* SABA_SETTING_* */
	const char *description;    /* one line: what it does, in what unit */
};

#define SABA_SETTING_UNBOUNDED 1e300 /* as max: no upper bound */
#define SABA_SETTING_REQUIRED  0x1u  /* must be configured (has no default) */
#define SABA_SETTING_NONEMPTY  0x2u  /* a string, or each element, is not "" */
/* SABA_CFG_INT that may also be written as a Go duration string, as
 * mackerel-agent's durations are: "90m", "1h30m" (ABI 1.4; config_int
 * hands the plugin the whole number in this unit, min and max apply to it) */
#define SABA_SETTING_MINUTES 0x4u /* an integer is minutes; "90s" is refused */
#define SABA_SETTING_SECONDS 0x8u /* an integer is seconds; "1500ms" is refused */

/* How a trigger classified a stop of the agent. */
enum saba_stop_kind {
	SABA_STOP_UNKNOWN = 0, /* any doubt: never retires */
	SABA_STOP_POWEROFF,    /* OS powering off for good (systemd, SysV 0) */
	SABA_STOP_HALT,	       /* OS halting */
	SABA_STOP_REBOOT,      /* OS rebooting */
	SABA_STOP_KEXEC,       /* kexec into a new kernel */
	SABA_STOP_RESTART,     /* the agent's own service restarts: never retires */
	SABA_STOP_STOP,	       /* the service is stopped, the OS keeps running */
	SABA_STOP_SINGLE,      /* single-user runlevel */
	SABA_STOP_SHUTDOWN,    /* Windows: OS shutting down, restart unknown */
	SABA_STOP_TERMINATE,   /* cloud provider says the machine is destroyed */
	SABA_STOP_MANUAL,      /* operator ran "saba-agent retire" */
};

/* The name of a stop kind, as logs and the triggers' retire_on settings
 * spell it ("poweroff", "terminate", ...); "invalid" for any other number. */
static inline const char *saba_stop_kind_name(int kind)
{
	switch (kind) {
	case SABA_STOP_UNKNOWN:
		return "unknown";
	case SABA_STOP_POWEROFF:
		return "poweroff";
	case SABA_STOP_HALT:
		return "halt";
	case SABA_STOP_REBOOT:
		return "reboot";
	case SABA_STOP_KEXEC:
		return "kexec";
	case SABA_STOP_RESTART:
		return "restart";
	case SABA_STOP_STOP:
		return "stop";
	case SABA_STOP_SINGLE:
		return "single";
	case SABA_STOP_SHUTDOWN:
		return "shutdown";
	case SABA_STOP_TERMINATE:
		return "terminate";
	case SABA_STOP_MANUAL:
		return "manual";
	default:
		return "invalid";
	}
}

/* A request to the agent's retire routine. */
struct saba_retire_request {
	uint32_t struct_size; /* sizeof(struct saba_retire_request) */
	int kind;	      /* enum saba_stop_kind */
	const char *reason;   /* human-readable evidence, logged and audited */
};

/* Answers of confirm_retire(). */
enum saba_confirm {
	SABA_CONFIRM_NOT_APPLICABLE = 0, /* this instance has no opinion */
	SABA_CONFIRM_YES = 1,		 /* positive evidence the host is gone */
	SABA_CONFIRM_NO = 2,		 /* must not retire (or could not tell) */
};

/* Results of the retire routine. */
enum saba_retire_result {
	SABA_RETIRE_DONE = 0,	  /* host retired (or already gone), id file removed */
	SABA_RETIRE_DECLINED = 1, /* policy said no; nothing was sent */
	SABA_RETIRE_FAILED = 2,	  /* API refused or deadline passed; id file kept */
	SABA_RETIRE_DRY_RUN = 3,  /* --dry-run: would have retired */
};

/* Check monitoring statuses, as check plugins exit. */
enum saba_check_status {
	SABA_CHECK_OK = 0,
	SABA_CHECK_WARNING = 1,
	SABA_CHECK_CRITICAL = 2,
	SABA_CHECK_UNKNOWN = 3,
};

/* One check result for report_check() (ABI 1.1). */
struct saba_check_report {
	uint32_t struct_size;	       /* sizeof(struct saba_check_report) */
	const char *name;	       /* the check monitor's name */
	int status;		       /* enum saba_check_status */
	const char *message;	       /* cut to 1024 characters by the agent */
	int64_t occurred_at;	       /* epoch seconds the check started */
	int notification_interval;     /* minutes; 0: not set */
	int max_check_attempts;	       /* 0: not set */
	const char *custom_identifier; /* another host's; NULL: this host */
};

/* Opaque per-instance handle the agent passes back into host functions. */
typedef struct saba_ctx saba_ctx;

/*
 * The agent's function table, one per process, valid until destroy() returns.
 * All strings returned are owned by the agent.
 */
struct saba_host {
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t struct_size;

	/* Log a line; the agent prefixes "plugin/instance: ". */
	void (*log)(saba_ctx *ctx, int level, const char *fmt, ...) SABA_PRINTF(3, 4);

	/* Emit one value of the current collection.  Only valid inside
	 * collect().  NaN and infinities are dropped with a warning. */
	int (*emit)(saba_ctx *ctx, const char *name, double value);

	/* The instance's configuration (only its own subtree).  Each returns
	 * SABA_OK, SABA_NOTFOUND (absent; *out untouched) or SABA_INVALID
	 * (wrong type; the agent logs FILE:LINE).  Valid in create().  A key
	 * may be a path into a SABA_CFG_TABLE setting: "action.command"
	 * (agents before ABI 1.4 answer SABA_NOTFOUND); there config_int
	 * also takes an integer written as a string ("30"). */
	int (*config_string)(saba_ctx *ctx, const char *key, const char **out);
	int (*config_int)(saba_ctx *ctx, const char *key, long long *out);
	int (*config_float)(saba_ctx *ctx, const char *key, double *out);
	int (*config_bool)(saba_ctx *ctx, const char *key, int *out);
	/* Lists and groups: number of elements, then element i (for a group:
	 * its name and string value).  With value NULL, element i may be of
	 * any type: only its name is asked (a table's keys; ABI 1.4). */
	int (*config_count)(saba_ctx *ctx, const char *key);
	int (*config_element)(saba_ctx *ctx, const char *key, int index, const char **name,
			      const char **value);
	/* Report a bad setting: logged as FILE:LINE: plugin/instance: msg. */
	void (*config_error)(saba_ctx *ctx, const char *key, const char *fmt, ...)
		SABA_PRINTF(3, 4);

	/* Copy the host id into buf; SABA_NOTFOUND before registration. */
	int (*host_id)(saba_ctx *ctx, char *buf, size_t len);

	/* Contribute to the host spec, from host_spec() only.  path is a
	 * dotted key ("customIdentifier", "meta.cloud", "meta.memory"); json
	 * is a JSON text that becomes its value.  Only fields of the API's
	 * host spec, with their types, are taken (saba-plugin(7)); others
	 * get SABA_INVALID. */
	int (*spec_set)(saba_ctx *ctx, const char *path, const char *json);

	/* The agent's single retire routine.  Once per process: later and
	 * concurrent calls get the first call's result.  Applies policy
	 * (cloud confirmation), the retire.timeout deadline and the audit
	 * log.  Returns enum saba_retire_result. */
	int (*retire)(saba_ctx *ctx, const struct saba_retire_request *req);

	/* Seconds left before the agent gives up on shutdown work; 0 outside
	 * shutdown.  Triggers use it to bound their own queries. */
	int (*shutdown_budget)(saba_ctx *ctx);

	/* Tell the service manager the agent is still busy (systemd
	 * EXTEND_TIMEOUT_USEC, Windows checkpoints).  usec: time still needed. */
	void (*keepalive)(saba_ctx *ctx, uint64_t usec);

	/* Names: the instance key in the config and the module it uses. */
	const char *(*instance_name)(saba_ctx *ctx);

	/* Was the agent started with --dry-run?  Plugins must then change
	 * nothing outside themselves. */
	int (*dry_run)(saba_ctx *ctx);

	/* --- ABI 1.1 (check host->abi_minor >= 1 before use) --- */

	/* Like emit(), with the value's own time (epoch seconds; 0: the
	 * tick) and, when custom_identifier is not NULL, for the host that
	 * has that customIdentifier (resolved by the agent; values for an
	 * unknown host are dropped with a warning).  Only inside collect(). */
	int (*emit_ex)(saba_ctx *ctx, const char *name, double value, int64_t time,
		       const char *custom_identifier);

	/* Queue graph definitions: json is an array as
	 * POST /api/v0/graph-defs/create takes.  Retried like metrics; a
	 * definition the API would refuse is dropped with a warning. */
	int (*graph_defs)(saba_ctx *ctx, const char *json);

	/* Queue a check result for POST /api/v0/monitoring/checks/report
	 * (batched, retried on network errors and 5xx).  Any thread. */
	int (*report_check)(saba_ctx *ctx, const struct saba_check_report *report);

	/* --- ABI 1.2 (check host->abi_minor >= 2 before use) --- */

	/* A Mackerel API request with the agent's key, TLS, proxy and
	 * timeout: method "GET", "POST" or "PUT", path with its query
	 * ("/api/v0/hosts?status=working"), body JSON or NULL.  The response
	 * body goes to sink (may be NULL) in pieces as it arrives, with no
	 * size limit; a sink returning non-zero stops reading, and the call
	 * then returns -1.  Returns the HTTP status, or -1 when no
	 * answer arrived (err says why; under --dry-run nothing is sent and
	 * -1 is returned).  Any thread but collect()'s: it may take the whole
	 * HTTP timeout.  Never retries. */
	long (*api_request)(saba_ctx *ctx, const char *method, const char *path, const char *body,
			    int (*sink)(void *arg, const char *data, size_t len), void *sink_arg,
			    char *err, size_t err_len);

	/* Retire another host (a fleet sweeper's job), through the retire
	 * routine's sending path: the audit line, retries until
	 * retire.timeout, 404 counted as done, --dry-run honoured.  Refuses
	 * this agent's own host (that is retire()'s job) and kinds other than
	 * SABA_STOP_TERMINATE.  Returns enum saba_retire_result. */
	int (*retire_host)(saba_ctx *ctx, const char *host_id,
			   const struct saba_retire_request *req);

	/* ABI 1.4 (SABA_HOST_HAS(host, put_metadata)) */
	/* This host's metadata in namespace ns ([-a-zA-Z0-9_]+, not beginning
	 * with "mackerel"): json is any JSON text up to 100 KB.  The agent
	 * sends it as PUT /api/v0/hosts/<id>/metadata/<ns> on its next post,
	 * and only when it differs from what this host last got for ns (kept
	 * under the agent's root, so a restart does not send it again); a
	 * newer value replaces one still waiting.  Network errors, 5xx and 429
	 * are retried; a value the API refuses is logged and dropped, so the
	 * next call with it sends it again.  Any thread.  SABA_OK (queued or
	 * unchanged), or SABA_INVALID for a bad namespace or text that is not
	 * JSON (logged). */
	int (*put_metadata)(saba_ctx *ctx, const char *ns, const char *json);

	/* ABI minor 5+: append here only; never reorder or remove. */
};

/*
 * Does the agent's table have the host function member, and implement it?
 * Test every member added after ABI 1.0 before calling it: a plugin built
 * against this header may run in an older agent, whose smaller table ends
 * before the member (struct_size says where).
 *
 *	if (SABA_HOST_HAS(host, report_check))
 *		host->report_check(ctx, &report);
 */
#define SABA_HOST_HAS(host, member)                                                                \
	((host)->struct_size >= offsetof(struct saba_host, member) + sizeof((host)->member) &&     \
	 (host)->member != NULL)

/* Capability flags, informational (the agent derives them from the members
 * too) and for `saba-agent plugins`. */
#define SABA_PLUGIN_DELTA 0x1u /* first collect only primes counters */

/*
 * The descriptor.  Every member but the header and name is optional.
 */
struct saba_plugin {
	uint16_t abi_major;   /* SABA_PLUGIN_ABI_MAJOR, or the agent refuses */
	uint16_t abi_minor;   /* SABA_PLUGIN_ABI_MINOR the plugin was built with */
	uint32_t struct_size; /* sizeof(struct saba_plugin) at build time */

	const char *name; /* module name, matches the file name */
	const char *version;
	const char *description;
	uint32_t flags;				   /* SABA_PLUGIN_* */
	const struct saba_config_key *config_keys; /* NULL: accepts no keys */

	/* Create an instance from its config subtree.  Store host and ctx in
	 * it.  Return SABA_OK and *instance, or an error (after config_error
	 * or log) and nothing to destroy.  (SABA_NOTFOUND from the cloud
	 * instance cloud_platform = "auto" adds means "not this cloud": the
	 * agent goes on without it; from any other instance it is an error.) */
	int (*create)(const struct saba_host *host, saba_ctx *ctx, void **instance);
	void (*destroy)(void *instance);

	/* Metric source: emit this round's values through host->emit. */
	int (*collect)(void *instance);

	/* Host spec: contribute keys through host->spec_set. */
	int (*host_spec)(void *instance);

	/* Background work (a trigger's poller, ...): start after registration,
	 * stop before destroy.  stop() must return promptly. */
	int (*start)(void *instance);
	void (*stop)(void *instance);

	/* Shutdown trigger: the agent is stopping (SIGTERM, service stop).
	 * Classify why, and call host->retire() when policy says so.  Bounded
	 * by host->shutdown_budget().  Returns enum saba_stop_kind. */
	int (*shutdown)(void *instance);

	/* Cloud confirmation: asked by the retire routine before an OS-level
	 * POWEROFF/HALT/SHUTDOWN retires.  evidence gets a short explanation. */
	int (*confirm_retire)(void *instance, const struct saba_retire_request *req, char *evidence,
			      size_t evidence_len);

	/* Service host (Windows SCM): when present and the agent runs with
	 * --service, the agent calls this instead of running its loop itself;
	 * the plugin calls run(arg) from its service main and returns its
	 * result.  request_stop(arg) asks run() to return. */
	int (*service_main)(void *instance, int (*run)(void *arg), void (*request_stop)(void *arg),
			    void *arg);

	/* --- ABI 1.3 --- */

	/* The settings, in place of config_keys (which the agent then
	 * ignores).  An agent older than 1.3 knows only config_keys: such a
	 * plugin refuses it in create() (host->abi_minor < 3). */
	const struct saba_setting *settings;

	/* ABI minor 5+: append here only; never reorder or remove. */
};

/* The one exported symbol. */
typedef const struct saba_plugin *(*saba_plugin_entry_fn)(void);
SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void);

/* Fill the header of a descriptor. */
#define SABA_PLUGIN_HEADER                                                                         \
	.abi_major = SABA_PLUGIN_ABI_MAJOR, .abi_minor = SABA_PLUGIN_ABI_MINOR,                    \
	.struct_size = sizeof(struct saba_plugin)

#ifdef __cplusplus
}
#endif

#endif /* SABA_PLUGIN_H */
