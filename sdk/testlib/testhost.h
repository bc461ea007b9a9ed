/*
 * libsaba-plugin-test internals: the fake host's state and the record
 * helpers testhost.c gives the other parts (hostfns.c: the host table;
 * api.c: the ABI 1.2 functions; drive.c: loading and calling a plugin;
 * query.c: what tests ask).  Not installed.
 */
#ifndef SABA_TESTLIB_TESTHOST_H
#define SABA_TESTLIB_TESTHOST_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include <saba/plugin-test.h>

/* The agent's own settings rules (the one file shared with core/). */
#include "../../core/settings.h"

struct saba_th_value {
	char *name;
	double value;
	int64_t time; /* emit_ex(): its own time; 0: the tick */
	char *ci;     /* emit_ex(): another host's customIdentifier */
};

/* Everything else the plugin did, in order. */
enum saba_th_event_type {
	SABA_TH_LOG,	     /* num: level; text: the line */
	SABA_TH_CFGERR,	     /* key: config key or NULL; text: the message */
	SABA_TH_RETIRE,	     /* num: kind; num2: result; text: reason */
	SABA_TH_SPEC,	     /* key: path; text: JSON */
	SABA_TH_GRAPHS,	     /* text: graph_defs() JSON */
	SABA_TH_API,	     /* key: method; text: path; extra: body; lnum: status */
	SABA_TH_RETIRE_HOST, /* num: kind; num2: result; key: host id; text: reason */
};

struct saba_th_event {
	int type; /* enum saba_th_event_type */
	int num, num2;
	long lnum;
	char *key;
	char *text;
	char *extra;
};

/* A canned api_request() answer. */
struct saba_th_answer {
	char *method, *path; /* NULL: any */
	char *body;
	long status;
	int used;
};

/* A growable array of one of the records above. */
#define SABA_TH_ARRAY(type)                                                                        \
	struct {                                                                                   \
		type *v;                                                                           \
		size_t n, cap;                                                                     \
	}

/* Make room for one more element of a SABA_TH_ARRAY. */
#define SABA_TH_GROW(a)                                                                            \
	do {                                                                                       \
		if ((a).n == (a).cap) {                                                            \
			(a).cap = (a).cap ? 2 * (a).cap : 8;                                       \
			(a).v = saba_th_xrealloc((a).v, (a).cap * sizeof(*(a).v));                 \
		}                                                                                  \
	} while (0)

/* The retire() state, as the agent's routine keeps it. */
enum saba_th_retire_state {
	SABA_TH_RETIRE_OPEN = 0, /* nothing final yet */
	SABA_TH_RETIRE_FINAL,	 /* later calls get final_result */
};

struct saba_test_host {
	struct saba_host host;
	config_t cfg;
	pthread_mutex_t lock; /* everything below */

	/* what the host answers */
	char *host_id, *instance_name;
	int dry_run, shutdown_budget, echo;
	int retire_result, retire_host_result;
	size_t api_chunk;

	/* which callback runs: host functions are only valid in some */
	int in_create, in_collect, in_spec;
	pthread_t collect_thread; /* valid while in_collect */

	int retire_state, retire_final; /* enum saba_th_retire_state */

	SABA_TH_ARRAY(struct saba_th_value) values;
	SABA_TH_ARRAY(struct saba_th_event) events;
	SABA_TH_ARRAY(struct saba_check_report) checks; /* strings owned */
	SABA_TH_ARRAY(struct saba_th_answer) answers;
	size_t ndropped, nmisuse;

	/* the settings of the plugin last created, for their defaults */
	struct saba_settings settings;
	int have_settings;
};

/* Test code: running out of memory aborts. */
void *saba_th_xrealloc(void *p, size_t size);
char *saba_th_xstrdup(const char *s);
char *saba_th_vformat(const char *fmt, va_list ap) SABA_PRINTF(1, 0);

/* The fake host behind a ctx: the ctx handed to the plugin is the fake
 * host itself. */
struct saba_test_host *saba_th_of(saba_ctx *ctx);

/* The rest need th->lock held. */

/* Record an event; takes ownership of text, copies key. */
struct saba_th_event *saba_th_record(struct saba_test_host *th, int type, int num, const char *key,
				     char *text);
void saba_th_logf(struct saba_test_host *th, int level, const char *fmt, ...) SABA_PRINTF(3, 4);
/* A config error, logged as the agent logs it; takes ownership of text. */
void saba_th_cfgerr(struct saba_test_host *th, const char *key, char *text);
/* The plugin broke the host API contract: count and log it; returns
 * SABA_INVALID. */
int saba_th_misuse(struct saba_test_host *th, const char *what, const char *arg);
/* Log and record a retire() request (host_id NULL) or a retire_host()
 * one, with the result it got. */
void saba_th_record_retire(struct saba_test_host *th, const char *host_id,
			   const struct saba_retire_request *req, int result);
/* The n-th event of a type, or NULL; how many of a type. */
struct saba_th_event *saba_th_nth(struct saba_test_host *th, int type, size_t n);
size_t saba_th_count(struct saba_test_host *th, int type);

/* Forget the previous collect's values; takes the lock itself. */
void saba_th_new_round(struct saba_test_host *th);

#endif /* SABA_TESTLIB_TESTHOST_H */
