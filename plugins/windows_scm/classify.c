#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"

int saba_scm_classify(uint32_t control, uint32_t test_code)
{
	switch (control) {
	case SABA_SCM_CONTROL_STOP:
		return SABA_STOP_STOP;
	case SABA_SCM_CONTROL_SHUTDOWN:
	case SABA_SCM_CONTROL_PRESHUTDOWN:
		return SABA_STOP_SHUTDOWN;
	default:
		break;
	}
	if (test_code >= 128 && test_code <= 255 && control == test_code)
		return SABA_STOP_SHUTDOWN;
	return -1;
}

/* Is s "power off", ignoring case and surrounding blanks? */
static int saba_is_power_off(const char *s)
{
	static const char want[] = "power off";
	size_t n;

	if (s == NULL)
		return 0;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n != sizeof(want) - 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)s[i]) != want[i])
			return 0;
	return 1;
}

int saba_scm_decide(int kind, const struct saba_scm_policy *p, const struct saba_scm_event *ev,
		    char *why, size_t len)
{
	const char *type = ev != NULL && ev->shutdown_type != NULL ? ev->shutdown_type : "";

	if (len > 0)
		why[0] = '\0';
	if (kind < 0) {
		snprintf(why, len, "no service control came before the stop");
		return 0;
	}
	if (kind == SABA_STOP_STOP) {
		snprintf(why, len,
			 "a service stop (administrator, sc stop, installer) never retires");
		return 0;
	}
	if (kind != SABA_STOP_SHUTDOWN) {
		snprintf(why, len, "not an OS shutdown");
		return 0;
	}
	if (!(p->retire_on & (1u << SABA_STOP_SHUTDOWN))) {
		snprintf(why, len, "OS shutdown, but shutdown is not in retire_on");
		return 0;
	}
	if (!p->require_event) {
		snprintf(why, len,
			 "OS shutdown; require_event_1074 is off, so only the retire "
			 "routine's cloud confirmation decides");
		return 1;
	}
	if (ev == NULL || !ev->found) {
		snprintf(why, len,
			 "OS shutdown, but no event 1074 could be read: restart or power "
			 "off unknown");
		return 0;
	}
	if (ev->age > p->event_max_age || ev->age < -60) {
		snprintf(why, len,
			 "OS shutdown, but the newest event 1074 is %lld s old (limit %lld s): it "
			 "is an earlier shutdown's",
			 (long long)ev->age, (long long)p->event_max_age);
		return 0;
	}
	if (!saba_is_power_off(type)) {
		snprintf(why, len,
			 "OS shutdown, event 1074 (%lld s old) says \"%.40s\", not power "
			 "off",
			 (long long)ev->age, type);
		return 0;
	}
	snprintf(why, len, "OS shutdown, event 1074 (%lld s old) says power off",
		 (long long)ev->age);
	return 1;
}
