/*
 * fakehost internals shared by fakehost.c (the host table and driving a
 * plugin) and fakehost_query.c (what tests ask afterwards).  Not for tests.
 */
#ifndef SABA_TESTS_FAKEHOST_PRIV_H
#define SABA_TESTS_FAKEHOST_PRIV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "fakehost.h"

struct fakehost_value {
	char *name;
	double value;
	int64_t time; /* emit_ex(): its own time; 0: the tick */
	char *ci;     /* emit_ex(): another host's customIdentifier */
};

/* Everything else the plugin did, in order. */
enum fakehost_event_type {
	FAKEHOST_LOG,	 /* num: level, text: the line */
	FAKEHOST_CFGERR, /* key: config key or NULL, text: the message */
	FAKEHOST_RETIRE, /* num: kind, text: reason */
	FAKEHOST_SPEC,	 /* key: path, text: JSON */
	FAKEHOST_GRAPHS, /* text: graph_defs() JSON */
};

struct fakehost_event {
	int type; /* enum fakehost_event_type */
	int num;
	char *key;
	char *text;
};

/* A growable array of one of the records above. */
#define FAKEHOST_ARRAY(type)                                                                       \
	struct {                                                                                   \
		type *v;                                                                           \
		size_t n, cap;                                                                     \
	}

struct fakehost {
	struct saba_host host;
	struct fakehost_knobs knobs;
	config_t cfg;
	pthread_mutex_t lock;

	/* which callback is running: host functions are only valid in some */
	int in_create, in_collect, in_spec;

	FAKEHOST_ARRAY(struct fakehost_value) values;
	FAKEHOST_ARRAY(struct fakehost_event) events;
	FAKEHOST_ARRAY(struct saba_check_report) checks; /* strings owned */
	size_t ndropped, nmisuse;
};

/* A loaded module: the agent's rule is to copy min(struct_size, sizeof)
 * bytes of the descriptor into a zeroed one, so a shorter, older plugin
 * reads as NULL members instead of past its end. */
struct fakehost_module {
	struct saba_plugin desc;
	void *dl;
};

/* The n-th event of a type, or NULL; how many of a type.  Caller holds
 * fh->lock. */
struct fakehost_event *fakehost_nth(struct fakehost *fh, int type, size_t n);
size_t fakehost_count(struct fakehost *fh, int type);

#endif
