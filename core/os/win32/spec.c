/* The host spec's Windows parts: meta.kernel as upstream's Windows agent
 * reports it (the registry's CurrentVersion key), the interfaces from
 * GetAdaptersAddresses and the DNS host name. */
#include "config.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/win32/compat.h"
#include "spec.h"
#include "util.h"

#define SABA_CURRENT_VERSION L"Software\\Microsoft\\Windows NT\\CurrentVersion"

/* A REG_SZ value of HKLM\...\CurrentVersion as UTF-8; NULL when absent. */
static char *saba_reg_string(const wchar_t *name)
{
	wchar_t buf[512];
	DWORD len = sizeof(buf);

	if (RegGetValueW(HKEY_LOCAL_MACHINE, SABA_CURRENT_VERSION, name, RRF_RT_REG_SZ, NULL, buf,
			 &len) != ERROR_SUCCESS)
		return NULL;
	return saba_win_utf8(buf);
}

static const char *saba_machine_name(WORD arch)
{
	switch (arch) {
	case PROCESSOR_ARCHITECTURE_INTEL:
		return "x86";
	case PROCESSOR_ARCHITECTURE_ARM:
		return "arm";
	case PROCESSOR_ARCHITECTURE_IA64:
		return "ia64";
	case PROCESSOR_ARCHITECTURE_AMD64:
		return "amd64";
	case PROCESSOR_ARCHITECTURE_ARM64:
		return "arm64";
	default:
		return "unknown";
	}
}

json_t *saba_spec_kernel(const char *os_release_path)
{
	json_t *k = json_object();
	char *product = saba_reg_string(L"ProductName");
	char *version = saba_reg_string(L"CurrentVersion");
	char *release = saba_reg_string(L"CSDVersion");
	SYSTEM_INFO si;

	(void)os_release_path;
	/* Upstream's keys: name is fixed, os is the product name. */
	json_object_set_new(k, "name", json_string("Microsoft Windows"));
	json_object_set_new(k, "os", json_string(product != NULL ? product : "Windows"));
	json_object_set_new(k, "version", json_string(version != NULL ? version : ""));
	json_object_set_new(k, "release", json_string(release != NULL ? release : ""));
	GetNativeSystemInfo(&si);
	json_object_set_new(k, "machine",
			    json_string(saba_machine_name(si.wProcessorArchitecture)));
	free(product);
	free(version);
	free(release);
	return k;
}

static void saba_add_address(json_t *e, const SOCKET_ADDRESS *sa)
{
	char buf[INET6_ADDRSTRLEN] = "";
	const struct sockaddr *a = sa->lpSockaddr;

	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)a;

		if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127)
			return;
		inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
		json_array_append_new(json_object_get(e, "ipv4Addresses"), json_string(buf));
	} else if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)a;

		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return;
		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
		json_array_append_new(json_object_get(e, "ipv6Addresses"), json_string(buf));
	}
}

json_t *saba_spec_interfaces(void)
{
	ULONG len = 16384,
	      flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER;
	IP_ADAPTER_ADDRESSES *all = NULL;
	json_t *out = json_array();
	ULONG rc = ERROR_BUFFER_OVERFLOW;

	for (int tries = 0; tries < 3 && rc == ERROR_BUFFER_OVERFLOW; tries++) {
		free(all);
		all = saba_calloc(1, len);
		rc = GetAdaptersAddresses(AF_UNSPEC, flags, NULL, all, &len);
	}
	if (rc != NO_ERROR)
		goto out;
	for (IP_ADAPTER_ADDRESSES *ad = all; ad != NULL; ad = ad->Next) {
		json_t *e = json_object();
		char *name = saba_win_utf8(ad->FriendlyName);

		json_object_set_new(e, "name", json_string(name != NULL ? name : ad->AdapterName));
		json_object_set_new(e, "ipv4Addresses", json_array());
		json_object_set_new(e, "ipv6Addresses", json_array());
		free(name);
		if (ad->PhysicalAddressLength == 6) {
			const BYTE *m = ad->PhysicalAddress;
			char mac[18];

			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
				 m[2], m[3], m[4], m[5]);
			json_object_set_new(e, "macAddress", json_string(mac));
		}
		for (IP_ADAPTER_UNICAST_ADDRESS *u = ad->FirstUnicastAddress; u != NULL;
		     u = u->Next)
			saba_add_address(e, &u->Address);
		/* Upstream skips interfaces with no (non-loopback) address. */
		if (json_array_size(json_object_get(e, "ipv4Addresses")) > 0 ||
		    json_array_size(json_object_get(e, "ipv6Addresses")) > 0)
			json_array_append(out, e);
		json_decref(e);
	}
out:
	free(all);
	return out;
}

void saba_spec_hostname(char *buf, size_t len)
{
	wchar_t w[256];
	DWORD n = sizeof(w) / sizeof(w[0]);
	char *s;

	if (!GetComputerNameExW(ComputerNameDnsHostname, w, &n) || (s = saba_win_utf8(w)) == NULL) {
		snprintf(buf, len, "localhost");
		return;
	}
	snprintf(buf, len, "%s", s);
	free(s);
}
