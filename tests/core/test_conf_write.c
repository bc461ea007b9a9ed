/*
 * Writing a config: libconfig's writer, comments in place (control
 * characters replaced, long ones wrapped), groups as `name = { ... };`,
 * the result parsed back.
 */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "conf_write.h"
#include "unit.h"

static void test_render(void)
{
	struct saba_notes ns = {0};
	config_setting_t *root, *g, *e;
	char err[256], *text;
	config_t cfg, back;

	config_init(&cfg);
	root = config_root_setting(&cfg);
	saba_note(&ns, root, "first\nsecond");
	config_setting_set_string(config_setting_add(root, "apikey", CONFIG_TYPE_STRING), "k");
	g = config_setting_add(root, "plugins", CONFIG_TYPE_GROUP);
	config_setting_add(g, "loadavg", CONFIG_TYPE_GROUP);
	saba_note(&ns, g, "a note\x1b[31m with an escape\rand a CR");
	e = config_setting_add(g, "x", CONFIG_TYPE_GROUP);
	config_setting_set_string(config_setting_add(e, "command", CONFIG_TYPE_STRING),
				  "a \"quoted\" # not a comment\n");
	text = saba_conf_render(&cfg, &ns, "header", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, "# header\n"
				     "\n"
				     "# first\n"
				     "# second\n"
				     "apikey = \"k\";\n"
				     "plugins = {\n"
				     "  loadavg = {};\n"
				     "  # a note?[31m with an escape?and a CR\n"
				     "  x = {\n"
				     "    command = \"a \\\"quoted\\\" # not a comment\\n\";\n"
				     "  };\n"
				     "};\n");
	config_init(&back);
	CU_ASSERT_EQUAL(config_read_string(&back, text), CONFIG_TRUE);
	CU_ASSERT_STRING_EQUAL(config_setting_get_string(config_lookup(&back, "plugins.x.command")),
			       "a \"quoted\" # not a comment\n");
	config_destroy(&back);
	free(text);
	saba_notes_free(&ns);
	config_destroy(&cfg);
}

static void test_render_wraps(void)
{
	struct saba_notes ns = {0};
	char err[256], *text;
	config_t cfg;

	config_init(&cfg);
	saba_note(&ns, config_root_setting(&cfg),
		  "one two three four five six seven eight nine ten eleven twelve thirteen "
		  "fourteen fifteen sixteen");
	text = saba_conf_render(&cfg, &ns, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, "# one two three four five six seven eight nine ten eleven "
				     "twelve thirteen\n# fourteen fifteen sixteen\n");
	free(text);
	saba_notes_free(&ns);
	config_destroy(&cfg);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_render),
	UNIT_TEST(test_render_wraps),
};

int main(void)
{
	return UNIT_RUN("conf_write", tests);
}
