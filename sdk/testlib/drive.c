/*
 * libsaba-plugin-test: loading a plugin and calling it as the agent does,
 * with the fake host marking which callback runs (see
 * <saba/plugin-test.h>).
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "testhost.h"

/* A loaded module: the agent's rule is to copy min(struct_size, sizeof)
 * bytes of the descriptor into a zeroed one, so a shorter, older plugin
 * reads as NULL members instead of past its end. */
struct saba_th_module {
	struct saba_plugin desc;
	void *dl; /* NULL: loaded from an entry function */
};

/* Check and copy what entry returns; NULL after printing why. */
static const struct saba_plugin *saba_th_adopt(const char *what, saba_plugin_entry_fn entry,
					       void *dl, void **handle)
{
	size_t need = offsetof(struct saba_plugin, name) + sizeof(((struct saba_plugin *)0)->name);
	const struct saba_plugin *desc = entry();
	struct saba_th_module *mod;

	if (desc == NULL || desc->abi_major != SABA_PLUGIN_ABI_MAJOR || desc->struct_size < need ||
	    desc->name == NULL || desc->name[0] == '\0') {
		fprintf(stderr,
			"saba-plugin-test: %s: bad descriptor (abi_major %d, want %d; "
			"struct_size %u, at least %zu; and a name)\n",
			what, desc ? desc->abi_major : -1, SABA_PLUGIN_ABI_MAJOR,
			desc ? (unsigned)desc->struct_size : 0u, need);
		return NULL;
	}
	mod = saba_th_xrealloc(NULL, sizeof(*mod));
	memset(mod, 0, sizeof(*mod));
	memcpy(&mod->desc, desc,
	       desc->struct_size < sizeof(mod->desc) ? desc->struct_size : sizeof(mod->desc));
	mod->dl = dl;
	*handle = mod;
	return &mod->desc;
}

const struct saba_plugin *saba_test_load(const char *path, void **handle)
{
	const struct saba_plugin *desc = NULL;
	saba_plugin_entry_fn entry;
	void *dl, *sym;

	*handle = NULL;
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		fprintf(stderr, "saba-plugin-test: %s\n", dlerror());
		return NULL;
	}
	sym = dlsym(dl, SABA_PLUGIN_ENTRY_SYMBOL);
	if (sym == NULL) {
		fprintf(stderr, "saba-plugin-test: %s: no %s\n", path, SABA_PLUGIN_ENTRY_SYMBOL);
	} else {
		/* ISO C has no object-to-function pointer cast; POSIX
		 * guarantees the representations match */
		memcpy(&entry, &sym, sizeof(entry));
		desc = saba_th_adopt(path, entry, dl, handle);
	}
	if (desc == NULL)
		dlclose(dl);
	return desc;
}

const struct saba_plugin *saba_test_load_entry(saba_plugin_entry_fn entry, void **handle)
{
	*handle = NULL;
	if (entry == NULL) {
		fprintf(stderr, "saba-plugin-test: no entry function\n");
		return NULL;
	}
	return saba_th_adopt("entry", entry, NULL, handle);
}

void saba_test_unload(void *handle)
{
	struct saba_th_module *mod = handle;
	const char *keep = getenv("SABA_NO_DLCLOSE");

	if (mod == NULL)
		return;
	if (mod->dl != NULL && (keep == NULL || *keep == '\0'))
		dlclose(mod->dl);
	free(mod);
}

/* Take plugin's settings for th (the defaults its config lookups get);
 * a bad table is a misuse, as the agent refuses such a module. */
static int saba_th_take_settings(struct saba_test_host *th, const struct saba_plugin *plugin)
{
	char err[512];

	if (th->have_settings)
		saba_settings_free(&th->settings);
	th->have_settings = 1;
	if (saba_settings_init(&th->settings, plugin, err, sizeof(err)) == 0)
		return 0;
	saba_th_misuse(th, "settings table refused:", err);
	return -1;
}

int saba_test_check_keys(struct saba_test_host *th, const struct saba_plugin *plugin)
{
	config_setting_t *root;
	int problems = 0;
	char msg[1024];

	pthread_mutex_lock(&th->lock);
	if (saba_th_take_settings(th, plugin) != 0) {
		pthread_mutex_unlock(&th->lock);
		return 1;
	}
	root = config_root_setting(&th->cfg);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *v = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(v);
		const struct saba_setting *k;

		/* "module" picks the plugin; every instance block may have it */
		if (strcmp(name, "module") == 0)
			continue;
		k = saba_settings_find(&th->settings, name);
		if (k == NULL)
			snprintf(msg, sizeof(msg), "unknown key for module %s", plugin->name);
		else if (saba_settings_check(k, v, msg, sizeof(msg)) == 0)
			continue;
		saba_th_cfgerr(th, name, saba_th_xstrdup(msg));
		problems++;
	}
	for (const struct saba_setting *k = th->settings.v; k->name != NULL; k++)
		if ((k->flags & SABA_SETTING_REQUIRED) &&
		    config_setting_get_member(root, k->name) == NULL) {
			snprintf(msg, sizeof(msg), "\"%s\" must be set (%s)", k->name,
				 k->description != NULL ? k->description : "required");
			saba_th_cfgerr(th, k->name, saba_th_xstrdup(msg));
			problems++;
		}
	pthread_mutex_unlock(&th->lock);
	return problems;
}

/* Mark which callback runs (flag is one of th->in_*). */
static void saba_th_phase(struct saba_test_host *th, int *flag, int on)
{
	pthread_mutex_lock(&th->lock);
	*flag = on;
	if (flag == &th->in_collect && on)
		th->collect_thread = pthread_self();
	pthread_mutex_unlock(&th->lock);
}

int saba_test_create(struct saba_test_host *th, const struct saba_plugin *plugin, void **instance)
{
	int rc;

	*instance = NULL;
	if (saba_test_check_keys(th, plugin) != 0)
		return SABA_INVALID;
	if (plugin->create == NULL)
		return SABA_OK;
	saba_th_phase(th, &th->in_create, 1);
	rc = plugin->create(&th->host, saba_test_ctx(th), instance);
	saba_th_phase(th, &th->in_create, 0);
	return rc;
}

int saba_test_collect(struct saba_test_host *th, const struct saba_plugin *plugin, void *instance)
{
	int rc;

	if (plugin->collect == NULL)
		return SABA_NOTFOUND;
	saba_th_new_round(th);
	saba_th_phase(th, &th->in_collect, 1);
	rc = plugin->collect(instance);
	saba_th_phase(th, &th->in_collect, 0);
	return rc;
}

int saba_test_host_spec(struct saba_test_host *th, const struct saba_plugin *plugin, void *instance)
{
	int rc;

	if (plugin->host_spec == NULL)
		return SABA_NOTFOUND;
	saba_th_phase(th, &th->in_spec, 1);
	rc = plugin->host_spec(instance);
	saba_th_phase(th, &th->in_spec, 0);
	return rc;
}

void saba_test_destroy(struct saba_test_host *th, const struct saba_plugin *plugin, void *instance)
{
	(void)th;
	if (plugin != NULL && plugin->destroy != NULL && instance != NULL)
		plugin->destroy(instance);
}
