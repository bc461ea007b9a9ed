#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sys/utsname.h>
#include <unistd.h>
#endif

#include "spec.h"
#include "util.h"

/* Windows: os/win32/spec.c has the kernel, interfaces and host name. */
#ifndef _WIN32

/* gopsutil's names for the distributions upstream normalises. */
static const char *saba_platform_name(const char *id)
{
	static const struct {
		const char *id, *name;
	} map[] = {
		{"debian", "Debian"},	  {"ubuntu", "Ubuntu"},
		{"centos", "CentOS"},	  {"rhel", "Red Hat Enterprise Linux"},
		{"amzn", "Amazon Linux"}, {"alpine", "Alpine Linux"},
		{"arch", "Arch Linux"},	  {"sles", "SUSE Linux Enterprise Server"},
		{"opensuse", "openSUSE"}, {"opensuse-leap", "openSUSE"},
		{"fedora", "Fedora"},	  {"ol", "Oracle Linux"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].id, id) == 0)
			return map[i].name;
	return id;
}

/* Value of KEY= in an os-release file, unquoted; NULL when absent. */
static char *saba_os_release(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *eol = strchr(line, '\n');
		size_t ll = eol != NULL ? (size_t)(eol - line) : strlen(line);

		if (ll > kl && strncmp(line, key, kl) == 0 && line[kl] == '=') {
			const char *v = line + kl + 1;
			size_t vl = ll - kl - 1;
			char *out;

			if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
				v++;
				vl -= 2;
			}
			out = saba_calloc(1, vl + 1);
			memcpy(out, v, vl);
			return out;
		}
		line = eol != NULL ? eol + 1 : NULL;
	}
	return NULL;
}

json_t *saba_spec_kernel(const char *os_release_path)
{
	json_t *k = json_object();
	struct utsname u;
	char *text = saba_read_file(os_release_path, 65536, NULL);

	if (uname(&u) == 0) {
		json_object_set_new(k, "name", json_string(u.sysname));
		json_object_set_new(k, "release", json_string(u.release));
		json_object_set_new(k, "version", json_string(u.version));
		json_object_set_new(k, "machine", json_string(u.machine));
		/* uname -o: the GNU userland's name for Linux. */
		json_object_set_new(
			k, "os",
			json_string(strcmp(u.sysname, "Linux") == 0 ? "GNU/Linux" : u.sysname));
	}
	if (text != NULL) {
		char *id = saba_os_release(text, "ID");
		char *ver = saba_os_release(text, "VERSION_ID");

		if (id != NULL)
			json_object_set_new(k, "platform_name",
					    json_string(saba_platform_name(id)));
		if (ver != NULL)
			json_object_set_new(k, "platform_version", json_string(ver));
		free(id);
		free(ver);
		free(text);
	}
	return k;
}

static json_t *saba_iface_entry(json_t *ifs, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(ifs, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			return e;
	}
	e = json_object();
	json_object_set_new(e, "name", json_string(name));
	json_object_set_new(e, "ipv4Addresses", json_array());
	json_object_set_new(e, "ipv6Addresses", json_array());
	json_array_append_new(ifs, e);
	return e;
}

json_t *saba_spec_interfaces(void)
{
	struct ifaddrs *all = NULL, *ifa;
	json_t *ifs = json_array(), *out = json_array();
	size_t i;
	json_t *e;

	if (getifaddrs(&all) != 0)
		return out;
	for (ifa = all; ifa != NULL; ifa = ifa->ifa_next) {
		char buf[INET6_ADDRSTRLEN];
		int fam;

		if (ifa->ifa_addr == NULL)
			continue;
		fam = ifa->ifa_addr->sa_family;
		e = saba_iface_entry(ifs, ifa->ifa_name);
		if (fam == AF_PACKET) {
			struct sockaddr_ll *ll = (struct sockaddr_ll *)ifa->ifa_addr;

			if (ll->sll_halen == 6) {
				snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
					 ll->sll_addr[0], ll->sll_addr[1], ll->sll_addr[2],
					 ll->sll_addr[3], ll->sll_addr[4], ll->sll_addr[5]);
				if (strcmp(buf, "00:00:00:00:00:00") != 0)
					json_object_set_new(e, "macAddress", json_string(buf));
			}
		} else if (fam == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ifa->ifa_addr;

			if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127)
				continue;
			inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
			json_array_append_new(json_object_get(e, "ipv4Addresses"),
					      json_string(buf));
		} else if (fam == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ifa->ifa_addr;

			if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
				continue;
			inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
			json_array_append_new(json_object_get(e, "ipv6Addresses"),
					      json_string(buf));
		}
	}
	freeifaddrs(all);
	/* Upstream skips interfaces with no (non-loopback) address. */
	json_array_foreach(ifs, i, e)
	{
		if (json_array_size(json_object_get(e, "ipv4Addresses")) > 0 ||
		    json_array_size(json_object_get(e, "ipv6Addresses")) > 0)
			json_array_append(out, e);
	}
	json_decref(ifs);
	return out;
}

void saba_spec_hostname(char *buf, size_t len)
{
	memset(buf, 0, len);
	if (gethostname(buf, len - 1) != 0)
		snprintf(buf, len, "localhost");
}
#endif

json_t *saba_spec_build(const struct saba_conf *conf, struct saba_instances *set)
{
	json_t *spec = json_object(), *meta = json_object(), *roles = json_array();
	char host[256];

	saba_spec_hostname(host, sizeof(host));
	json_object_set_new(spec, "name", json_string(host));
	if (conf->display_name != NULL && *conf->display_name != '\0')
		json_object_set_new(spec, "displayName", json_string(conf->display_name));
	json_object_set_new(meta, "agent-name", json_string("saba-agent/" PACKAGE_VERSION));
	json_object_set_new(meta, "agent-version", json_string(PACKAGE_VERSION));
	json_object_set_new(meta, "kernel", saba_spec_kernel("/etc/os-release"));
	json_object_set_new(spec, "meta", meta);
	json_object_set_new(spec, "interfaces", saba_spec_interfaces());
	for (int i = 0; i < conf->nroles; i++)
		json_array_append_new(roles, json_string(conf->roles[i]));
	json_object_set_new(spec, "roleFullnames", roles);
	json_object_set_new(spec, "checks", json_array());
	if (set != NULL)
		saba_instances_spec(set, spec);
	return spec;
}
