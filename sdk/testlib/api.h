/*
 * libsaba-plugin-test: the ABI 1.2 host functions and their scripting
 * (api.c).
 */
#ifndef SABA_TESTLIB_API_H
#define SABA_TESTLIB_API_H

#include <stddef.h>

#include <saba/plugin.h>

#include "testhost.h"

/* The host table's api_request and retire_host. */
long saba_th_api_request(saba_ctx *ctx, const char *method, const char *path, const char *body,
			 int (*sink)(void *arg, const char *data, size_t len), void *sink_arg,
			 char *err, size_t err_len);
int saba_th_retire_host(saba_ctx *ctx, const char *host_id, const struct saba_retire_request *req);

/* Free the canned answers, used or not (for saba_test_host_free()). */
void saba_th_answers_free(struct saba_test_host *th);

#endif /* SABA_TESTLIB_API_H */
