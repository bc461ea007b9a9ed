/* Plugin instances: one per entry of `plugins`, each backed by a module
 * (several instances may share one).  The saba_ctx handed to plugins is the
 * instance itself. */
#ifndef SABA_INSTANCE_H
#define SABA_INSTANCE_H

#include <pthread.h>
#include <stdint.h>
#include <jansson.h>

#include "conf.h"
#include "loader.h"
#include "queue.h"
#include "runtime.h"

struct saba_ctx {
	struct saba_runtime *rt;
	struct saba_conf *conf; /* the config this instance was made from */
	struct saba_module *mod;
	const struct saba_instance_conf *ic;
	char *label; /* "module/instance" for log prefixes */
	void *state; /* what the plugin's create() returned */
	int config_problems;

	/* Collection, by the collector's runners (under its lock). */
	int64_t want_tick; /* tick asked for; == done_tick when idle */
	int64_t done_tick;
	int queued;	  /* waiting for a runner */
	int slow;	  /* rounds left on a runner of its own (a recent round took long) */
	int running;	  /* in collect() now */
	int64_t cur_tick; /* tick stamped on emitted values */
	struct saba_point *buf;
	size_t nbuf, capbuf;
	int64_t busy_warned;
	unsigned nonfinite;	/* NaN/Inf values dropped so far */
	int64_t badname_logged; /* monotonic ms of the last invalid-name warning */
	unsigned long badnames; /* invalid names dropped since then, unlogged */

	json_t *spec; /* target of spec_set during host_spec() */
	int started;
	int abandoned; /* a shutdown hook or collect() outlived its bound: never destroy */
};

struct saba_pool;

struct saba_instances {
	struct saba_ctx **v;
	int n;
	struct saba_conf *conf; /* a reference: the instances point into it */
	struct saba_pool *pool; /* the collector's runners, while started */
};

/* Load the modules and create an instance for each configured plugin.
 * Problems are printed as FILE:LINE: messages; returns their number.  On
 * problems nothing is left created. */
int saba_instances_create(struct saba_runtime *rt, struct saba_conf *conf,
			  struct saba_instances *out);
/* Stop background work, destroy the instances, close the modules.
 * Instances still running a hook (abandoned) are left, and their module
 * pinned, rather than destroyed under a running thread. */
void saba_instances_destroy(struct saba_instances *set);

/* Call host_spec() of every instance, merging contributions into spec. */
void saba_instances_spec(struct saba_instances *set, json_t *spec);
/* start() of every instance that has it; stop() of those started. */
void saba_instances_start(struct saba_instances *set);
void saba_instances_stop(struct saba_instances *set);

#endif
