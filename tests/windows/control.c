/* Wine test helper: send control CODE to service NAME (Wine's sc has no
 * "control" command).  Exit 0 when the SCM delivered it; prints the error
 * otherwise. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	SC_HANDLE scm, svc;
	SERVICE_STATUS st;
	DWORD code;

	if (argc != 3) {
		fprintf(stderr, "usage: control NAME CODE\n");
		return 2;
	}
	code = (DWORD)strtoul(argv[2], NULL, 0);
	scm = OpenSCManagerA(NULL, NULL, SC_MANAGER_CONNECT);
	svc = scm != NULL ? OpenServiceA(scm, argv[1],
					 SERVICE_USER_DEFINED_CONTROL | SERVICE_STOP |
						 SERVICE_QUERY_STATUS)
			  : NULL;
	if (svc == NULL) {
		fprintf(stderr, "control: cannot open service %s: error %lu\n", argv[1],
			(unsigned long)GetLastError());
		return 1;
	}
	if (!ControlService(svc, code, &st)) {
		fprintf(stderr, "control: ControlService(%s, %lu): error %lu\n", argv[1],
			(unsigned long)code, (unsigned long)GetLastError());
		return 1;
	}
	printf("control: %lu delivered; state %lu\n", (unsigned long)code,
	       (unsigned long)st.dwCurrentState);
	return 0;
}
