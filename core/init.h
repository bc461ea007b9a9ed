/* `saba-agent init`: put the API key into a config, as mackerel-agent's
 * init does. */
#ifndef SABA_INIT_H
#define SABA_INIT_H

struct saba_init_options {
	const char *conf;    /* the config file */
	const char *apikey;  /* required */
	const char *apibase; /* NULL: none */
};

/* 0: written, or the key was there already; 1: error (printed). */
int saba_cmd_init(const struct saba_init_options *o);

#endif
