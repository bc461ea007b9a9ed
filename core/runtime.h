/* State shared by the core's parts for one run of the agent.  One per
 * process; plugins reach it only through their saba_ctx. */
#ifndef SABA_RUNTIME_H
#define SABA_RUNTIME_H

#include <pthread.h>
#include <stdint.h>

struct saba_conf;
struct saba_queue;
struct saba_outbox;
struct saba_metadata;
struct saba_retire;
struct saba_instances;

struct saba_runtime {
	/* The current config (a reference).  The thread that runs the loop
	 * (the main thread before and after it) reads it as it is; other
	 * threads take theirs with saba_runtime_conf(). */
	struct saba_conf *conf;
	int dry_run;
	const char *command; /* "run", "once", "retire", ... */

	pthread_mutex_t lock;	      /* guards everything below */
	pthread_cond_t wake;	      /* main loop: signals, retire, reload */
	char *host_id;		      /* NULL until registered */
	int stop_requested;	      /* SIGTERM/SIGINT seen */
	int reload_requested;	      /* SIGHUP seen */
	int reload_ready;	      /* a reload was prepared: the loop thread applies it */
	int retired;		      /* retire succeeded: collect and post nothing */
	int retiring;		      /* this host's retire is under way */
	int64_t shutdown_deadline_ms; /* monotonic; 0 outside shutdown */
	unsigned conf_gen;	      /* bumped by each reload */
	int token_refused;	      /* the API refused the registration token */
	int clear_token_ci;	      /* the host may carry the token as customIdentifier */

	/* Held around each request that sends this host's data; the retire
	 * of this host takes it, so none is in flight or lands after it. */
	pthread_mutex_t send_gate;

	struct saba_queue *queue;
	struct saba_outbox *outbox;	/* graph defs, check reports; NULL: not sent */
	struct saba_metadata *metadata; /* host metadata; NULL: not sent */
	struct saba_retire *retire;
	struct saba_instances *instances;
};

struct saba_http;

void saba_runtime_init(struct saba_runtime *rt);
/* The current config with a reference of the caller's own (drop it with
 * saba_conf_free()): a reload may replace it meanwhile. */
struct saba_conf *saba_runtime_conf(struct saba_runtime *rt);
/* Make nc current (its reference passes to the runtime; the old one's is
 * dropped) and bump conf_gen.  The loop's thread only. */
void saba_runtime_set_conf(struct saba_runtime *rt, struct saba_conf *nc);
unsigned saba_runtime_conf_gen(struct saba_runtime *rt);
/* An HTTP handle for the API as the current config says (NULL on error). */
struct saba_http *saba_runtime_http(struct saba_runtime *rt);
void saba_runtime_destroy(struct saba_runtime *rt);
/* Sleep up to ms on the runtime's condition; returns early (1) when a stop
 * was requested or the host got retired. */
int saba_runtime_wait(struct saba_runtime *rt, int64_t ms);
int saba_runtime_stopping(struct saba_runtime *rt);
/* Around a request that sends this host's data (metrics, checks, metadata,
 * its spec): returns 1 holding the send gate, or 0 (not holding it) once
 * this host's retire is under way or done. */
int saba_runtime_send_begin(struct saba_runtime *rt);
void saba_runtime_send_end(struct saba_runtime *rt);
/* 1 while this host's retire is under way or after it succeeded: a send in
 * flight is abandoned (the retire waits for it). */
int saba_runtime_retiring(struct saba_runtime *rt);
/* The retire of this host: from begin to end nothing else about the host is
 * sent; a send in flight is abandoned first. */
void saba_runtime_retire_begin(struct saba_runtime *rt);
void saba_runtime_retire_end(struct saba_runtime *rt);
void saba_runtime_set_host_id(struct saba_runtime *rt, const char *id);
#endif
