#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue.h"
#include "util.h"

struct saba_queue {
	pthread_mutex_t lock;
	struct saba_batch **ring;
	size_t cap, head, len;
	size_t bytes, max_bytes; /* of the sealed batches, as saba_batch_bytes() counts */
	struct saba_batch *staging;
	uint64_t dropped;
};

struct saba_queue *saba_queue_new(size_t max_batches)
{
	struct saba_queue *q = saba_calloc(1, sizeof(*q));

	pthread_mutex_init(&q->lock, NULL);
	q->cap = max_batches > 0 ? max_batches : 1;
	q->ring = saba_calloc(q->cap, sizeof(*q->ring));
	q->max_bytes = SIZE_MAX;
	return q;
}

/* What a point's allocations take, malloc's own overhead included (an
 * estimate, the same for every point of a name). */
#define SABA_ALLOC_OVERHEAD 16

static size_t saba_point_bytes(const struct saba_point *p)
{
	return sizeof(*p) + strlen(p->name) + 1 + SABA_ALLOC_OVERHEAD +
	       (p->ci != NULL ? strlen(p->ci) + 1 + SABA_ALLOC_OVERHEAD : 0);
}

size_t saba_batch_bytes(const struct saba_batch *b)
{
	size_t n = sizeof(*b) + 2 * SABA_ALLOC_OVERHEAD;

	for (size_t i = 0; i < b->n; i++)
		n += saba_point_bytes(&b->points[i]);
	return n;
}

void saba_point_clear(struct saba_point *p)
{
	free(p->name);
	free(p->ci);
	p->name = NULL;
	p->ci = NULL;
}

void saba_batch_free(struct saba_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		saba_point_clear(&b->points[i]);
	free(b->points);
	free(b);
}

void saba_queue_free(struct saba_queue *q)
{
	if (q == NULL)
		return;
	saba_queue_clear(q);
	saba_batch_free(q->staging);
	free(q->ring);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

void saba_queue_stage(struct saba_queue *q, const struct saba_point *pts, size_t n)
{
	struct saba_batch *b;
	size_t i;

	if (n == 0)
		return;
	pthread_mutex_lock(&q->lock);
	if (q->staging == NULL)
		q->staging = saba_calloc(1, sizeof(*q->staging));
	b = q->staging;
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->points = saba_realloc(b->points, b->cap * sizeof(*b->points));
	}
	for (i = 0; i < n; i++) {
		b->points[b->n] = pts[i];
		b->points[b->n].name = saba_strdup(pts[i].name);
		b->points[b->n].ci = pts[i].ci != NULL ? saba_strdup(pts[i].ci) : NULL;
		b->n++;
	}
	pthread_mutex_unlock(&q->lock);
}

/* Caller holds the lock. */
static size_t saba_drop_oldest(struct saba_queue *q)
{
	struct saba_batch *old = q->ring[q->head];
	size_t n = old->n;

	q->ring[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->len--;
	q->bytes -= old->bytes;
	q->dropped += n;
	saba_batch_free(old);
	return n;
}

/* Make room for a batch of `bytes` at the tail: the oldest go, by count
 * (queue.max_age) and by memory (queue.max_bytes), the newest batch is
 * always kept.  Caller holds the lock; returns the points dropped. */
static size_t saba_make_room(struct saba_queue *q, size_t bytes, size_t *batches)
{
	size_t dropped = 0;

	while (q->len > 0 && (q->len == q->cap || q->bytes + bytes > q->max_bytes)) {
		dropped += saba_drop_oldest(q);
		(*batches)++;
	}
	return dropped;
}

size_t saba_queue_seal(struct saba_queue *q, int64_t now)
{
	size_t dropped = 0, batches = 0, bytes = 0, max_bytes = 0;
	uint64_t total = 0;

	pthread_mutex_lock(&q->lock);
	if (q->staging != NULL && q->staging->n > 0) {
		q->staging->bytes = saba_batch_bytes(q->staging);
		dropped = saba_make_room(q, q->staging->bytes, &batches);
		q->staging->sealed_at = now;
		q->ring[(q->head + q->len) % q->cap] = q->staging;
		q->len++;
		q->bytes += q->staging->bytes;
		q->staging = NULL;
	}
	bytes = q->bytes;
	max_bytes = q->max_bytes;
	total = q->dropped;
	pthread_mutex_unlock(&q->lock);
	if (dropped > 0)
		saba_warn("metrics queue full (%zu batches, %zu of %zu bytes): dropped the oldest "
			  "%zu batches, %zu points (%llu points dropped since start)",
			  q->cap, bytes, max_bytes, batches, dropped, (unsigned long long)total);
	return dropped;
}

void saba_queue_set_limits(struct saba_queue *q, size_t max_batches, size_t max_bytes)
{
	struct saba_batch **ring;
	size_t cap = max_batches > 0 ? max_batches : 1, batches = 0, dropped = 0;

	pthread_mutex_lock(&q->lock);
	q->max_bytes = max_bytes;
	/* the oldest go first, as at a seal */
	while (q->len > 0 && (q->len > cap || q->bytes > q->max_bytes)) {
		dropped += saba_drop_oldest(q);
		batches++;
	}
	ring = saba_calloc(cap, sizeof(*ring));
	for (size_t i = 0; i < q->len; i++)
		ring[i] = q->ring[(q->head + i) % q->cap];
	free(q->ring);
	q->ring = ring;
	q->cap = cap;
	q->head = 0;
	pthread_mutex_unlock(&q->lock);
	if (dropped > 0)
		saba_warn("metrics queue smaller now: dropped the oldest %zu batches, %zu points",
			  batches, dropped);
}

size_t saba_queue_take(struct saba_queue *q, struct saba_batch **out, size_t max, size_t max_points)
{
	size_t taken = 0, points = 0;

	pthread_mutex_lock(&q->lock);
	while (taken < max && q->len > 0) {
		struct saba_batch *b = q->ring[q->head];

		if (taken > 0 && points + b->n > max_points)
			break;
		q->ring[q->head] = NULL;
		q->head = (q->head + 1) % q->cap;
		q->len--;
		q->bytes -= b->bytes;
		out[taken++] = b;
		points += b->n;
	}
	pthread_mutex_unlock(&q->lock);
	return taken;
}

void saba_queue_putback(struct saba_queue *q, struct saba_batch **b, size_t n)
{
	size_t dropped = 0;

	pthread_mutex_lock(&q->lock);
	/* Newest first, each going in front of the head, so order is kept.
	 * When the ring filled up meanwhile the oldest (these) lose. */
	while (n > 0) {
		struct saba_batch *x = b[--n];

		if (q->len == q->cap || (q->len > 0 && q->bytes + x->bytes > q->max_bytes)) {
			dropped += x->n;
			q->dropped += x->n;
			saba_batch_free(x);
			continue;
		}
		q->head = (q->head + q->cap - 1) % q->cap;
		q->ring[q->head] = x;
		q->len++;
		q->bytes += x->bytes;
	}
	pthread_mutex_unlock(&q->lock);
	if (dropped > 0)
		saba_warn("metrics queue full: dropped %zu of the oldest points", dropped);
}

void saba_queue_clear(struct saba_queue *q)
{
	pthread_mutex_lock(&q->lock);
	saba_batch_free(q->staging);
	q->staging = NULL;
	while (q->len > 0) {
		saba_batch_free(q->ring[q->head]);
		q->ring[q->head] = NULL;
		q->head = (q->head + 1) % q->cap;
		q->len--;
	}
	q->bytes = 0;
	pthread_mutex_unlock(&q->lock);
}

size_t saba_queue_length(struct saba_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->len;
	pthread_mutex_unlock(&q->lock);
	return n;
}

size_t saba_queue_staged(struct saba_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->staging != NULL ? q->staging->n : 0;
	pthread_mutex_unlock(&q->lock);
	return n;
}

uint64_t saba_queue_dropped(struct saba_queue *q)
{
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	n = q->dropped;
	pthread_mutex_unlock(&q->lock);
	return n;
}
