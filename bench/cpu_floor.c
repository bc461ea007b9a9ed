/*
 * The floor of one posting collection of the six Linux plugins, for
 * bench/footprint.sh: the same work with nothing around it.  Each tick of
 * the wall clock it reads /proc/loadavg, meminfo, stat, diskstats and
 * net/dev (kept open, one pread each), polls /proc/mounts for a change,
 * statfs()s the given mount points, and POSTs the given body once with
 * libcurl on a kept connection, with the headers the agent sends.  No
 * parsing, no JSON, no threads: what is left of the agent's CPU above this
 * is its own.
 *
 *   bench/cpu-floor URL BODY-FILE INTERVAL [MOUNT...]
 *
 * Runs until killed.  Loopback only (the URL is the bench sink's).
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

static const char *const floor_files[] = {"/proc/loadavg", "/proc/meminfo", "/proc/stat",
					  "/proc/diskstats", "/proc/net/dev"};
#define FLOOR_NFILES (sizeof(floor_files) / sizeof(floor_files[0]))

static size_t floor_discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

static char *floor_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (s = calloc(1, (size_t)n + 1)) == NULL ||
	    fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (f != NULL)
		fclose(f);
	return s;
}

/* Sleep to the next multiple of interval seconds of the wall clock. */
static void floor_sleep_to_tick(int interval)
{
	struct timespec now, until = {0};

	clock_gettime(CLOCK_REALTIME, &now);
	until.tv_sec = (now.tv_sec / interval + 1) * interval;
	clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL);
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	struct curl_slist *hdr = NULL;
	struct pollfd mounts;
	int fd[FLOOR_NFILES];
	char *body;
	CURL *h;

	if (argc < 4 || atoi(argv[3]) < 1) {
		fprintf(stderr, "usage: %s URL BODY-FILE INTERVAL [MOUNT...]\n", argv[0]);
		return 2;
	}
	body = floor_slurp(argv[2]);
	if (body == NULL) {
		fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[2]);
		return 1;
	}
	for (size_t i = 0; i < FLOOR_NFILES; i++)
		if ((fd[i] = open(floor_files[i], O_RDONLY)) < 0) {
			perror(floor_files[i]);
			return 1;
		}
	mounts.fd = open("/proc/self/mounts", O_RDONLY);
	mounts.events = POLLPRI;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	hdr = curl_slist_append(hdr, "X-Api-Key: bench");
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Accept: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	if (h == NULL || hdr == NULL || mounts.fd < 0) {
		fprintf(stderr, "%s: cannot set up\n", argv[0]);
		return 1;
	}
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, floor_discard);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
	for (;;) {
		floor_sleep_to_tick(atoi(argv[3]));
		for (size_t i = 0; i < FLOOR_NFILES; i++)
			if (pread(fd[i], buf, sizeof(buf), 0) < 0)
				perror(floor_files[i]);
		if (poll(&mounts, 1, 0) > 0 && pread(mounts.fd, buf, sizeof(buf), 0) < 0)
			perror("/proc/self/mounts");
		for (int i = 4; i < argc; i++) {
			struct statfs st;

			if (statfs(argv[i], &st) != 0)
				perror(argv[i]);
		}
		if (curl_easy_perform(h) != CURLE_OK)
			fprintf(stderr, "%s: the POST failed\n", argv[0]);
	}
}
