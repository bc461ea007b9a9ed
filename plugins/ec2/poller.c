/* The ec2 plugin's background thread: learns the identity when IMDS was
 * not ready at start, checks the Mackerel host once, starts the sweeper when
 * its region had to come from IMDS, and polls IMDS for termination signals;
 * see poller.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "poller.h"
#include "lib/clock.h"

#define SABA_EC2_RETRY_S 5 /* background retries without a poller */

/* Log a poll outcome only when it changes, so a steady state (a 404 for
 * the spot notice every 5 s) stays quiet. */
static void saba_ec2_note(struct saba_ec2 *e, int level, const char *what)
{
	if (strcmp(e->last_poll, what) == 0)
		return;
	snprintf(e->last_poll, sizeof(e->last_poll), "%s", what);
	e->host->log(e->ctx, level, "%s", what);
}

/* One poll of the termination signals; retires on one. */
static void saba_ec2_poll(struct saba_ec2 *e, const char *id)
{
	static const char *const items[] = {"meta-data/spot/instance-action",
					    "meta-data/autoscaling/target-lifecycle-state"};
	char evidence[256] = "", notes[600] = "", why[256];
	int terminating = 0;

	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]) && !terminating; i++) {
		char *body = NULL, err[256] = "";
		long status = saba_imds_get(e->imds, items[i], &body, err, sizeof(err));
		size_t used = strlen(notes);

		terminating =
			i == 0 ? saba_ec2_spot_action(status, body, evidence, sizeof(evidence))
			       : saba_ec2_lifecycle_state(status, body, evidence, sizeof(evidence));
		if (status != 200 && status != 404)
			snprintf(evidence + strlen(evidence), sizeof(evidence) - strlen(evidence),
				 " (%s)", err);
		snprintf(notes + used, sizeof(notes) - used, "%s%s", used ? "; " : "", evidence);
		free(body);
	}
	if (!terminating) {
		saba_ec2_note(e, SABA_LOG_DEBUG, notes);
		return;
	}
	if (saba_ec2_check_host(e, id, why, sizeof(why)) <= 0) {
		snprintf(notes, sizeof(notes), "%s, but not retiring: %s", evidence, why);
		saba_ec2_note(e, SABA_LOG_WARNING, notes);
		return;
	}
	e->host->log(e->ctx, SABA_LOG_NOTICE, "%s (%s): asking to retire this host", evidence, why);
	{
		struct saba_retire_request req = {
			.struct_size = sizeof(req),
			.kind = SABA_STOP_TERMINATE,
			.reason = evidence,
		};
		int rc = e->host->retire(e->ctx, &req);

		pthread_mutex_lock(&e->lock);
		e->retire_final = rc != SABA_RETIRE_DECLINED;
		pthread_mutex_unlock(&e->lock);
	}
}

/* The sweeper, once its regions are known. */
static void saba_ec2_start_sweeper(struct saba_ec2 *e, const char *own_region)
{
	const char *own[1] = {own_region};
	struct saba_sweep_config c = {
		.host = e->host,
		.ctx = e->ctx,
		.regions = e->nregions > 0 ? (const char *const *)e->regions : own,
		.nregions = e->nregions > 0 ? e->nregions : 1,
		.interval_s = e->sweep_interval,
		.absent_grace_s = e->absent_grace,
		.ec2_endpoint = e->ec2_endpoint,
		.timeout_ms = e->ec2_timeout_ms,
		.imds_get = saba_ec2_imds_fn,
		.imds_arg = e->imds,
	};
	struct saba_sweep *s;

	e->sweep_tried = 1; /* one attempt: a failure is a configuration error */
	s = saba_sweep_new(&c);
	if (s == NULL || saba_sweep_start(s) != SABA_OK) {
		e->host->log(e->ctx, SABA_LOG_ERR, "the fleet sweeper could not start");
		saba_sweep_free(s);
		s = NULL;
	}
	pthread_mutex_lock(&e->lock);
	e->sweeper = s;
	pthread_mutex_unlock(&e->lock);
}

/* Wait until quit or ms passed; returns quit. */
static int saba_ec2_wait(struct saba_ec2 *e, int64_t ms)
{
	struct timespec ts;
	int quit;

	saba_clock_cond_deadline(ms, &ts);
	pthread_mutex_lock(&e->lock);
	while (!e->quit)
		if (pthread_cond_timedwait(&e->wake, &e->lock, &ts) != 0)
			break;
	quit = e->quit;
	pthread_mutex_unlock(&e->lock);
	return quit;
}

static void *saba_ec2_main(void *arg)
{
	struct saba_ec2 *e = arg;
	int checked = -1; /* the start check: -1 until the API answered */

	for (;;) {
		char why[256] = "", *id = NULL, *region = NULL;
		int where = saba_ec2_identify(e, why, sizeof(why)), pending, final;

		saba_ec2_ids(e, &id, &region);
		if (id != NULL && checked < 0 && e->confirm) {
			/* Once at start: a later check that cannot reach the
			 * API (the agent stopping) can rely on this one. */
			checked = saba_ec2_check_host(e, id, why, sizeof(why));
			if (checked >= 0)
				e->host->log(e->ctx, checked ? SABA_LOG_INFO : SABA_LOG_WARNING,
					     "customIdentifier check: %s", why);
		}
		pthread_mutex_lock(&e->lock);
		final = e->retire_final;
		pthread_mutex_unlock(&e->lock);
		if (e->sweep && !e->sweep_tried && region != NULL)
			saba_ec2_start_sweeper(e, region);
		if (id != NULL && e->poll_interval > 0 && !final)
			saba_ec2_poll(e, id);
		/* Anything left to do later?  Identity, the start check and the
		 * sweeper's region wait for IMDS; the poller polls. */
		pending = where == SABA_EC2_UNDECIDED ||
			  (where == SABA_EC2_IS_EC2 && (id == NULL || (e->confirm && checked < 0) ||
							(e->sweep && !e->sweep_tried)));
		free(id);
		free(region);
		if (where == SABA_EC2_IS_EC2 && e->poll_interval > 0 && !final) {
			if (saba_ec2_wait(e, e->poll_interval * 1000LL))
				break;
		} else if (pending) {
			if (saba_ec2_wait(e, SABA_EC2_RETRY_S * 1000LL))
				break;
		} else {
			break;
		}
	}
	return NULL;
}

int saba_ec2_background_start(struct saba_ec2 *e)
{
	if (e->sweep && e->nregions > 0) /* no need to wait for IMDS */
		saba_ec2_start_sweeper(e, NULL);
	if (e->platform == SABA_EC2_NONE)
		return SABA_OK;
	e->quit = 0;
	if (pthread_create(&e->thread, NULL, saba_ec2_main, e) != 0) {
		e->host->log(e->ctx, SABA_LOG_ERR, "cannot start the IMDS poller");
		return SABA_ERROR;
	}
	e->has_thread = 1;
	return SABA_OK;
}

void saba_ec2_background_stop(struct saba_ec2 *e)
{
	struct saba_sweep *s;

	pthread_mutex_lock(&e->lock);
	e->quit = 1;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	/* IMDS requests in flight end now; a retire in flight is bounded by
	 * the core's retire.timeout. */
	saba_imds_abort(e->imds);
	if (e->has_thread) {
		pthread_join(e->thread, NULL);
		e->has_thread = 0;
	}
	/* Only now: the thread may have started the sweeper until it ended. */
	pthread_mutex_lock(&e->lock);
	s = e->sweeper;
	e->sweeper = NULL;
	pthread_mutex_unlock(&e->lock);
	if (s != NULL) {
		saba_sweep_stop(s);
		saba_sweep_free(s);
	}
}
