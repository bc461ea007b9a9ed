/* What plugins hand the core for the API is held to the types the Mackerel
 * API documents (its docs and the official Go client's request types; the
 * same rules as tests/integration/apischema.py), so an undocumented field
 * never ships: an API that refuses one would refuse the whole request. */
#ifndef SABA_APISCHEMA_H
#define SABA_APISCHEMA_H

#include <stddef.h>

#include <jansson.h>

/* 0 when spec_set(path, value) names a field of the host spec plugins may
 * set, with a value of its type; else -1 and why. */
int saba_apischema_spec(const char *path, json_t *value, char *why, size_t len);

/* Graph definition i of a graph_defs() array: 0 when it is one the API
 * takes (a missing isStacked becomes false, as the client sends it); else
 * -1 and why. */
int saba_apischema_graph_def(json_t *def, char *why, size_t len);

#endif
