/*
 * test_example_metric: a unit test of example_metric.so, to copy from.
 *
 * libsaba-plugin-test hands the plugin a fake host table instead of the
 * agent's, so the test needs no running agent, no config file and no
 * network: it loads the built module, creates instances with a config,
 * collects and reads back what the plugin emitted, logged and reported.
 *
 *   make check      builds example_metric.so and this test, then runs
 *                   ./test_example_metric ./example_metric.so
 *
 * The module to test: the first argument, else $SABA_TEST_PLUGIN, else
 * ./example_metric.so.
 *
 * Build by hand:
 *   cc $(pkg-config --cflags saba-plugin-test) -o test_example_metric \
 *      test_example_metric.c $(pkg-config --libs saba-plugin-test)
 *
 * Plain C with exit statuses as automake reads them (0 passed, 1 failed);
 * any test framework works the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin-test.h>

static int failures;

/* Report a failed expectation with its line, and carry on. */
#define EXPECT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);        \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* An instance with the given config (an instance block of saba-agent.conf
 * without its braces); NULL when create() refused it. */
static void *create(const struct saba_plugin *p, struct saba_test_host **th, const char *config)
{
	void *inst = NULL;

	*th = saba_test_host_new(config);
	if (*th == NULL || saba_test_create(*th, p, &inst) != SABA_OK)
		return NULL;
	return inst;
}

/* The plugin kept the host API's rules; free the instance and host. */
static void finish(const struct saba_plugin *p, struct saba_test_host *th, void *inst)
{
	EXPECT(saba_test_misuse(th) == 0);
	EXPECT(saba_test_ndropped(th) == 0);
	saba_test_destroy(th, p, inst);
	saba_test_host_free(th);
}

/* Without settings: the uptime, as custom.example.uptime. */
static void test_default(const struct saba_plugin *p)
{
	struct saba_test_host *th;
	void *inst = create(p, &th, NULL);
	const char *name;
	double v = -1;

	EXPECT(inst != NULL);
	if (inst == NULL)
		return;
	EXPECT(saba_test_collect(th, p, inst) == SABA_OK);
	EXPECT(saba_test_nvalues(th) == 1);
	name = saba_test_value_at(th, 0, &v);
	EXPECT(name != NULL && strcmp(name, "custom.example.uptime") == 0);
	EXPECT(v > 0);
	if (name != NULL)
		printf("collected %s = %.2f\n", name, v);
	finish(p, th, inst);
}

/* name and value: the constant under that name, and a graph for it. */
static void test_constant(const struct saba_plugin *p)
{
	struct saba_test_host *th;
	void *inst = create(p, &th, "name = \"custom.demo.answer\"; value = 42.5;");
	const char *graphs;
	double v = 0;

	EXPECT(inst != NULL);
	if (inst == NULL)
		return;
	EXPECT(saba_test_collect(th, p, inst) == SABA_OK);
	EXPECT(saba_test_value(th, "custom.demo.answer", &v) && v == 42.5);
	EXPECT(!saba_test_value(th, "custom.example.uptime", NULL));
	/* start() hands the agent a graph definition (ABI 1.1) */
	EXPECT(p->start(inst) == SABA_OK);
	EXPECT(saba_test_ngraph_defs(th) == 1);
	graphs = saba_test_graph_defs_at(th, 0);
	EXPECT(graphs != NULL && strstr(graphs, "\"name\":\"custom.demo\"") != NULL);
	finish(p, th, inst);
}

/* An agent older than ABI 1.3 knows no settings table: refused, saying so. */
static void test_old_agent(const struct saba_plugin *p)
{
	struct saba_test_host *th;
	void *inst = NULL;

	th = saba_test_host_new("name = \"custom.demo.answer\";");
	EXPECT(th != NULL && saba_test_set_abi_minor(th, 2) == 0);
	if (th == NULL)
		return;
	EXPECT(saba_test_create(th, p, &inst) == SABA_ERROR && inst == NULL);
	EXPECT(saba_test_log_count(th, SABA_LOG_ERR, "plugin ABI 1.3") == 1);
	saba_test_host_free(th);
}

/* Bad settings: refused in create(), naming the key. */
static void test_bad_config(const struct saba_plugin *p)
{
	struct saba_test_host *th;
	const char *key = NULL;

	EXPECT(create(p, &th, "name = \"not a name\";") == NULL);
	EXPECT(saba_test_nconfig_errors(th) == 1);
	EXPECT(saba_test_config_error_at(th, 0, &key) != NULL && key && !strcmp(key, "name"));
	saba_test_host_free(th);

	EXPECT(create(p, &th, "colour = \"blue\";") == NULL); /* not in the schema */
	EXPECT(saba_test_nconfig_errors(th) == 1);
	saba_test_host_free(th);

	EXPECT(create(p, &th, "value = \"high\";") == NULL); /* wrong type */
	EXPECT(saba_test_log_count(th, SABA_LOG_ERR, "value") >= 1);
	saba_test_host_free(th);
}

int main(int argc, char **argv)
{
	const char *env = getenv("SABA_TEST_PLUGIN");
	const char *path = argc > 1 ? argv[1] : env && *env ? env : "./example_metric.so";
	const struct saba_plugin *p;
	void *dl;

	p = saba_test_load(path, &dl);
	if (p == NULL) {
		fprintf(stderr, "test_example_metric: cannot load %s\n", path);
		return 1;
	}
	EXPECT(strcmp(p->name, "example_metric") == 0);
	test_default(p);
	test_constant(p);
	test_old_agent(p);
	test_bad_config(p);
	saba_test_unload(dl);
	printf("test_example_metric: %s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
