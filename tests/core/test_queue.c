/*
 * The metrics queue: staging, sealing, bounded take, putback order and the
 * drop-the-oldest overflow policy.
 */
#include <stdio.h>
#include <string.h>

#include "queue.h"
#include "unit.h"

/* Stage n points named "<prefix>.<i>" and seal them as one batch. */
static size_t add_batch(struct saba_queue *q, const char *prefix, size_t n, int64_t now)
{
	struct saba_point pts[16];
	char names[16][32];

	for (size_t i = 0; i < n && i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "%s.%zu", prefix, i);
		pts[i] = (struct saba_point){.name = names[i], .value = (double)i, .time = now};
	}
	saba_queue_stage(q, pts, n);
	return saba_queue_seal(q, now);
}

/* The batch's first point is "<prefix>.0". */
static int is_batch(const struct saba_batch *b, const char *prefix)
{
	char want[32];

	snprintf(want, sizeof(want), "%s.0", prefix);
	return b != NULL && b->n > 0 && strcmp(b->points[0].name, want) == 0;
}

static void free_batches(struct saba_batch **b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		saba_batch_free(b[i]);
}

static void test_stage_seal(void)
{
	struct saba_queue *q = saba_queue_new(4);
	struct saba_batch *b[4];
	char name[] = "cpu.user";
	struct saba_point p[2] = {
		{.name = name, .value = 1.5, .time = 1000},
		{.name = "cpu.system", .value = 2.5, .time = 1000},
	};

	saba_queue_stage(q, &p[0], 1);
	saba_queue_stage(q, &p[1], 1);
	name[0] = 'X'; /* stage copied the name */
	CU_ASSERT_EQUAL(saba_queue_staged(q), 2);
	CU_ASSERT_EQUAL(saba_queue_length(q), 0);
	CU_ASSERT_EQUAL(saba_queue_seal(q, 1234), 0);
	CU_ASSERT_EQUAL(saba_queue_staged(q), 0);
	CU_ASSERT_EQUAL(saba_queue_length(q), 1);
	CU_ASSERT_EQUAL_FATAL(saba_queue_take(q, b, 4, 1000), 1);
	CU_ASSERT_EQUAL(saba_queue_length(q), 0);
	CU_ASSERT_EQUAL_FATAL(b[0]->n, 2);
	CU_ASSERT_EQUAL(b[0]->sealed_at, 1234);
	CU_ASSERT_STRING_EQUAL(b[0]->points[0].name, "cpu.user");
	CU_ASSERT_EQUAL(b[0]->points[0].time, 1000);
	CU_ASSERT_DOUBLE_EQUAL(b[0]->points[0].value, 1.5, 1e-12);
	CU_ASSERT_STRING_EQUAL(b[0]->points[1].name, "cpu.system");
	CU_ASSERT_DOUBLE_EQUAL(b[0]->points[1].value, 2.5, 1e-12);
	CU_ASSERT_EQUAL(saba_queue_dropped(q), 0);
	free_batches(b, 1);
	saba_queue_free(q);
}

static void test_seal_empty(void)
{
	struct saba_queue *q = saba_queue_new(4);
	struct saba_batch *b[1];

	CU_ASSERT_EQUAL(saba_queue_seal(q, 1), 0);
	saba_queue_stage(q, NULL, 0); /* staging nothing stages nothing */
	CU_ASSERT_EQUAL(saba_queue_seal(q, 2), 0);
	CU_ASSERT_EQUAL(saba_queue_length(q), 0);
	CU_ASSERT_EQUAL(saba_queue_take(q, b, 1, 100), 0);
	/* a second seal after a real one adds nothing either */
	add_batch(q, "a", 1, 3);
	CU_ASSERT_EQUAL(saba_queue_seal(q, 4), 0);
	CU_ASSERT_EQUAL(saba_queue_length(q), 1);
	saba_queue_free(q);
}

static void test_take_limits(void)
{
	struct saba_queue *q = saba_queue_new(8);
	struct saba_batch *b[8];
	size_t n;

	add_batch(q, "a", 3, 1);
	add_batch(q, "b", 3, 2);
	add_batch(q, "c", 3, 3);
	add_batch(q, "d", 3, 4);

	/* max batches */
	n = saba_queue_take(q, b, 2, 1000);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT(is_batch(b[0], "a"));
	CU_ASSERT(is_batch(b[1], "b"));
	CU_ASSERT_EQUAL(saba_queue_length(q), 2);
	saba_queue_putback(q, b, n);

	/* max points: 3 + 3 > 5, so one batch */
	n = saba_queue_take(q, b, 8, 5);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT(is_batch(b[0], "a"));
	saba_queue_putback(q, b, n);

	/* exactly fitting */
	n = saba_queue_take(q, b, 8, 6);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	saba_queue_putback(q, b, n);

	/* max_points smaller than one batch: still one batch */
	n = saba_queue_take(q, b, 8, 1);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(b[0]->n, 3);
	saba_queue_putback(q, b, n);

	/* everything */
	n = saba_queue_take(q, b, 8, 1000);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(saba_queue_length(q), 0);
	CU_ASSERT_EQUAL(saba_queue_dropped(q), 0);
	free_batches(b, n);
	saba_queue_free(q);
}

static void test_putback_order(void)
{
	struct saba_queue *q = saba_queue_new(5);
	struct saba_batch *b[5], *first[3];
	size_t n;

	add_batch(q, "a", 1, 1);
	add_batch(q, "b", 2, 2);
	add_batch(q, "c", 1, 3);
	n = saba_queue_take(q, b, 3, 100);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	memcpy(first, b, sizeof(first));
	/* a batch sealed while those were out goes after them */
	add_batch(q, "d", 1, 4);
	saba_queue_putback(q, b, n);
	CU_ASSERT_EQUAL(saba_queue_length(q), 4);
	n = saba_queue_take(q, b, 5, 100);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_PTR_EQUAL(b[0], first[0]);
	CU_ASSERT_PTR_EQUAL(b[1], first[1]);
	CU_ASSERT_PTR_EQUAL(b[2], first[2]);
	CU_ASSERT(is_batch(b[0], "a"));
	CU_ASSERT(is_batch(b[1], "b"));
	CU_ASSERT(is_batch(b[2], "c"));
	CU_ASSERT(is_batch(b[3], "d"));
	free_batches(b, n);
	saba_queue_free(q);
}

static void test_overflow_drops_oldest(void)
{
	struct saba_queue *q = saba_queue_new(2);
	struct saba_batch *b[3];
	size_t n;

	CU_ASSERT_EQUAL(add_batch(q, "a", 1, 1), 0);
	CU_ASSERT_EQUAL(add_batch(q, "b", 2, 2), 0);
	CU_ASSERT_EQUAL(add_batch(q, "c", 3, 3), 1); /* "a" (1 point) goes */
	CU_ASSERT_EQUAL(saba_queue_length(q), 2);
	CU_ASSERT_EQUAL(saba_queue_dropped(q), 1);
	CU_ASSERT_EQUAL(add_batch(q, "d", 4, 4), 2); /* then "b" (2 points) */
	CU_ASSERT_EQUAL(saba_queue_dropped(q), 3);
	n = saba_queue_take(q, b, 3, 100);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT(is_batch(b[0], "c"));
	CU_ASSERT(is_batch(b[1], "d"));
	free_batches(b, n);
	saba_queue_free(q);
}

static void test_putback_full(void)
{
	struct saba_queue *q = saba_queue_new(2);
	struct saba_batch *b[2];
	size_t n;

	add_batch(q, "a", 3, 1);
	add_batch(q, "b", 1, 2);
	n = saba_queue_take(q, b, 1, 100);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT(is_batch(b[0], "a"));
	add_batch(q, "c", 1, 3); /* the ring is full again */
	CU_ASSERT_EQUAL(saba_queue_dropped(q), 0);
	saba_queue_putback(q, b, n); /* "a" no longer fits: dropped */
	CU_ASSERT_EQUAL(saba_queue_dropped(q), 3);
	CU_ASSERT_EQUAL(saba_queue_length(q), 2);
	n = saba_queue_take(q, b, 2, 100);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT(is_batch(b[0], "b"));
	CU_ASSERT(is_batch(b[1], "c"));
	free_batches(b, n);
	saba_queue_free(q);
}

static void test_clear(void)
{
	struct saba_queue *q = saba_queue_new(4);
	struct saba_batch *b[1];

	add_batch(q, "a", 2, 1);
	add_batch(q, "b", 2, 2);
	add_batch(q, "c", 2, 3);
	CU_ASSERT_EQUAL(saba_queue_length(q), 3);
	saba_queue_clear(q);
	CU_ASSERT_EQUAL(saba_queue_length(q), 0);
	CU_ASSERT_EQUAL(saba_queue_take(q, b, 1, 100), 0);
	/* still usable, and the ring wraps correctly afterwards */
	for (int i = 0; i < 6; i++)
		add_batch(q, "z", 1, 10 + i);
	CU_ASSERT_EQUAL(saba_queue_length(q), 4);
	CU_ASSERT_EQUAL(saba_queue_dropped(q), 2);
	CU_ASSERT_EQUAL_FATAL(saba_queue_take(q, b, 1, 100), 1);
	CU_ASSERT_EQUAL(b[0]->sealed_at, 12);
	free_batches(b, 1);
	saba_queue_free(q);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_stage_seal),
	UNIT_TEST(test_seal_empty),
	UNIT_TEST(test_take_limits),
	UNIT_TEST(test_putback_order),
	UNIT_TEST(test_overflow_drops_oldest),
	UNIT_TEST(test_putback_full),
	UNIT_TEST(test_clear),
};

int main(void)
{
	return UNIT_RUN("queue", tests);
}
