/*
 * A plugin's declared settings: its table (struct saba_setting, ABI 1.3)
 * or one made from an older plugin's config_keys, the defaults parsed once,
 * each configured value checked against its entry, and what a setting
 * allows in words.  Needs only <saba/plugin.h> and libconfig: the fake host
 * of libsaba-plugin-test compiles this file too, so a plugin's tests meet
 * the agent's own checks.
 */
#ifndef SABA_SETTINGS_H
#define SABA_SETTINGS_H

#include <stddef.h>

#include <libconfig.h>
#include <saba/plugin.h>

struct saba_settings {
	const struct saba_setting *v; /* ends with name == NULL */
	struct saba_setting *own;     /* v when made from config_keys */
	config_t defaults;	      /* "<name> = <default>;" of each that has one */
};

/* The settings of desc (a descriptor the agent copied: members past its
 * struct_size read NULL).  Its table must be sound: names unique, types
 * known, each default of its type and allowed by its own entry, no
 * default on a required setting.  Returns 0, or -1 with why in err (free
 * with saba_settings_free() either way). */
int saba_settings_init(struct saba_settings *s, const struct saba_plugin *desc, char *err,
		       size_t len);
void saba_settings_free(struct saba_settings *s);

/* The entry of name, or NULL. */
const struct saba_setting *saba_settings_find(const struct saba_settings *s, const char *name);
/* The default value of name, or NULL when it has none. */
config_setting_t *saba_settings_default(const struct saba_settings *s, const char *name);

/* Check a configured value against its entry: type, range, allowed values,
 * not empty.  Returns 0, or -1 with the problem in msg as one line naming
 * the key, the value and what is allowed ("imds_timeout = 0 is out of
 * range (allowed: 1 to 60)"). */
int saba_settings_check(const struct saba_setting *k, const config_setting_t *v, char *msg,
			size_t len);

/* The value v of an integer setting k: an integer, or for a duration
 * setting (SABA_SETTING_MINUTES, _SECONDS) a Go duration string such as
 * "1h30m" in k's unit.  Returns 0, or -1 with why in msg ("check_interval =
 * \"90s\": duration not multiple of 1m"). */
int saba_settings_int(const struct saba_setting *k, const config_setting_t *v, long long *out,
		      char *msg, size_t len);

/* What k allows and its default, in words: "an integer, 1 to 60; default
 * 2" (for `saba-agent plugins -v`). */
void saba_settings_describe(const struct saba_setting *k, char *buf, size_t len);

#endif
