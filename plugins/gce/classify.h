/* Pure decisions of the gce plugin (no I/O), unit-tested over tables and
 * fuzzed: what the metadata server and the Compute Engine API answered, and
 * what that says about retiring this host.  Only positive evidence that this
 * instance is being deleted says yes; a stop, a suspension, a preemption
 * that stops, a maintenance event, anything malformed or unexpected says no.
 *
 * Where "being deleted" is read (Compute Engine API v1):
 *   - zoneOperations.list in the instance's zone: an operation with
 *     operationType "delete", targetId the instance's id and status PENDING
 *     or RUNNING (a delete in progress; the instance's own status is then
 *     STOPPING, as for a stop, so the status alone cannot tell);
 *   - a preemption (metadata instance/preempted TRUE) of an instance whose
 *     scheduling.instanceTerminationAction is DELETE (a Spot VM deleted on
 *     preemption; the default, STOP, only stops it). */
#ifndef SABA_GCE_CLASSIFY_H
#define SABA_GCE_CLASSIFY_H

#include <stddef.h>

#define SABA_GCE_CI_SUFFIX ".gce.cloud.google.com"

/* What the gce plugin learns about its own instance from the metadata
 * server: enough to ask the Compute Engine API about it. */
struct saba_gce_self {
	char id[24];	  /* numeric instance id, decimal */
	char project[96]; /* project id ("my-project", "example.com:my-project") */
	char zone[64];	  /* "us-central1-a" */
	char name[64];	  /* instance name */
};

/* A decimal instance id (uint64, not 0, no leading zero)? */
int saba_gce_id_ok(const char *id);

/* "<id>.gce.cloud.google.com" into buf: 0, or -1 when id is not usable or
 * buf too small. */
int saba_gce_custom_identifier(const char *id, char *buf, size_t len);

/* meta.cloud as mackerel-agent builds it from the recursive metadata answer
 * (GET /computeMetadata/v1/?recursive=true): {"provider": "gce",
 * "metadata": {"hostname", "instance-id", "instance-type", "zone",
 * "projectId"}}, instance-type and zone as their last path segment, the
 * instance keys only with an "instance" object, projectId only with a
 * "project" object.  id is the instance id as text (instance/id): the JSON
 * number may not fit a double.  Returns malloc'd JSON text, or NULL when the
 * answer is not usable (err says why). */
char *saba_gce_cloud_meta(const char *body, size_t len, const char *id, char *err, size_t err_len);

/* Project, zone and name out of the recursive answer into self (id is left
 * as it is).  0, or -1 when one of them is missing or malformed. */
int saba_gce_self_from_meta(const char *body, size_t len, struct saba_gce_self *self, char *err,
			    size_t err_len);

/* The metadata item instance/preempted (status: its HTTP status, -1: no
 * answer): 1 when it says TRUE, else 0; evidence says what it said. */
int saba_gce_preempted(long status, const char *body, char *evidence, size_t len);

/* instance/maintenance-event, for the log only: a host maintenance event
 * migrates the instance or stops and restarts it, never deletes it. */
void saba_gce_maintenance(long status, const char *body, char *evidence, size_t len);

/* The parts of an instances.get answer the decision needs. */
struct saba_gce_instance {
	char id[24];
	char name[64];
	char status[24];      /* RUNNING, STOPPING, TERMINATED, SUSPENDED, ... */
	char termination[16]; /* scheduling.instanceTerminationAction; "" if none */
};

/* 0 with *in filled, or -1 when the answer is not an instance (err). */
int saba_gce_parse_instance(const char *body, size_t len, struct saba_gce_instance *in, char *err,
			    size_t err_len);

/* Called for each pending delete in a page of zoneOperations.list. */
typedef void (*saba_gce_op_fn)(void *arg, const char *target_id, const char *op_name);

/* One page of zoneOperations.list: fn is called for each operation of type
 * "delete" that is PENDING or RUNNING and has a usable targetId, each item
 * checked here whatever filter the request had.  *next gets the
 * nextPageToken (malloc'd) or NULL.  0, or -1 when the page is not an
 * operation list (err; fn was not called). */
int saba_gce_parse_ops(const char *body, size_t len, saba_gce_op_fn fn, void *arg, char **next,
		       char *err, size_t err_len);

/* Called for each instance of a page of instances.aggregatedList: its id,
 * zone (the last segment) and status. */
typedef void (*saba_gce_instance_fn)(void *arg, const char *id, const char *zone,
				     const char *status);

/* One page of instances.aggregatedList.  fn is called for each instance
 * with a usable id, zone and status; *next gets the nextPageToken
 * (malloc'd) or NULL.  -1 (err; fn was not called) when the page is not an
 * aggregated list or says a zone could not be listed (a scope's warning
 * other than NO_RESULTS_ON_PAGE, or "unreachables"): an instance there
 * would look absent. */
int saba_gce_parse_aggregated(const char *body, size_t len, saba_gce_instance_fn fn, void *arg,
			      char **next, char *err, size_t err_len);

/* What was asked about this instance for a confirmation. */
struct saba_gce_seen {
	int ops_ok;   /* every page of the operation list answered */
	int deleting; /* pending delete operations of this instance */
	char op[80];  /* the name of one */
	int inst_ok;  /* instances.get answered with this very instance */
	struct saba_gce_instance inst;
	int preempted; /* the metadata server said preempted TRUE */
	char why[256]; /* what failed, when something did */
};

/* SABA_CONFIRM_YES for a pending delete operation, or a preemption of an
 * instance whose termination action is DELETE; SABA_CONFIRM_NO otherwise.
 * evidence says which. */
int saba_gce_decide(const struct saba_gce_self *self, const struct saba_gce_seen *seen,
		    char *evidence, size_t len);

/* Names as Compute Engine writes them. */
int saba_gce_zone_ok(const char *zone);
int saba_gce_project_ok(const char *project);
int saba_gce_name_ok(const char *name);

#endif
