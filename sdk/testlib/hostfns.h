/*
 * libsaba-plugin-test: the fake host's function table (hostfns.c).
 */
#ifndef SABA_TESTLIB_HOSTFNS_H
#define SABA_TESTLIB_HOSTFNS_H

#include <saba/plugin.h>

/* Fill host with the fake's functions as an agent of ABI 1.minor has
 * them: later members NULL, struct_size and abi_minor to match. */
void saba_th_fill_table(struct saba_host *host, int minor);

#endif /* SABA_TESTLIB_HOSTFNS_H */
