/* Wine test helper: a user process that stays alive (argv[1] seconds), so
 * Wine's services.exe does not tear the services down when the last
 * command of the test exits. */
#include <windows.h>

#include <stdlib.h>

int main(int argc, char **argv)
{
	Sleep((DWORD)(argc > 1 ? atoi(argv[1]) : 600) * 1000);
	return 0;
}
