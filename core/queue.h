/* The metrics queue: points collected since the last seal wait in a staging
 * batch; sealed batches wait in a bounded ring until posted.  When the ring
 * is full, or the batches take more memory than allowed, the oldest batch
 * is dropped and counted. */
#ifndef SABA_QUEUE_H
#define SABA_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct saba_point {
	char *name;
	double value;
	int64_t time; /* epoch seconds */
	char *ci;     /* customIdentifier of another host; NULL: this host */
};

/* Free a point's strings (not the point). */
void saba_point_clear(struct saba_point *p);

struct saba_batch {
	struct saba_point *points;
	size_t n, cap;
	int64_t sealed_at; /* epoch seconds */
	int attempts;
	size_t bytes; /* saba_batch_bytes() when sealed */
};

struct saba_queue;

/* At most max_batches sealed batches (queue.max_age / interval); no byte
 * limit until saba_queue_set_limits(). */
struct saba_queue *saba_queue_new(size_t max_batches);
/* Both bounds (a reload may change them); the oldest batches over them
 * are dropped and counted.  The newest batch is always kept. */
void saba_queue_set_limits(struct saba_queue *q, size_t max_batches, size_t max_bytes);
/* The memory a batch's points take, as the byte bound counts it. */
size_t saba_batch_bytes(const struct saba_batch *b);
void saba_queue_free(struct saba_queue *q);

/* Append points to the staging batch (copies the names). */
void saba_queue_stage(struct saba_queue *q, const struct saba_point *pts, size_t n);
/* Move the staging batch, if not empty, to the tail of the ring.  Returns
 * the number of points dropped to make room (0 normally). */
size_t saba_queue_seal(struct saba_queue *q, int64_t now);
/* Take up to max batches (and at most max_points points, but at least one
 * batch) from the head.  Returns how many were taken. */
size_t saba_queue_take(struct saba_queue *q, struct saba_batch **out, size_t max,
		       size_t max_points);
/* Put batches back at the head, in order, after a failed post.  Batches
 * that no longer fit are dropped (counted). */
void saba_queue_putback(struct saba_queue *q, struct saba_batch **b, size_t n);
/* Drop everything (after a retire). */
void saba_queue_clear(struct saba_queue *q);

size_t saba_queue_length(struct saba_queue *q); /* sealed batches */
size_t saba_queue_staged(struct saba_queue *q); /* points in staging */
uint64_t saba_queue_dropped(struct saba_queue *q);

void saba_batch_free(struct saba_batch *b);

#endif
