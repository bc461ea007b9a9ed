/* Writing a saba-agent config: libconfig's own writer (so the result always
 * parses), plus the comments that writer cannot emit, and an atomic write
 * to a file.  Used by `import` and `init`. */
#ifndef SABA_CONF_WRITE_H
#define SABA_CONF_WRITE_H

#include <libconfig.h>
#include <stddef.h>
#include <sys/types.h>

#include <saba/plugin.h>

/* Comments to place in the written config. */
struct saba_notes {
	char **text;
	size_t n;
};

/* A comment (one or more lines) before the setting added next to group. */
void saba_note(struct saba_notes *ns, config_setting_t *group, const char *fmt, ...)
	SABA_PRINTF(3, 4);
void saba_notes_free(struct saba_notes *ns);

/* cfg as text: the writer's output with the notes in place, groups as
 * `name = { ... };`, and header (NULL: none) as comment lines on top.  The
 * result is parsed back before it is returned.  NULL (and a message in
 * err) only if that fails. */
char *saba_conf_render(config_t *cfg, const struct saba_notes *ns, const char *header, char *err,
		       size_t errlen);

/* Write text to path atomically (a temporary file in the same directory,
 * fsync, rename) with mode.  Unless replace is set, an existing path is
 * left alone and that is an error.  0, or -1 with a message in err. */
int saba_write_file_atomic(const char *path, const char *text, mode_t mode, int replace, char *err,
			   size_t errlen);

#endif
