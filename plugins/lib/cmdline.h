/*
 * cmdline: the Windows command line of an argv, and the UTF-16 output of
 * `cmd /U` as UTF-8.  Pure string work, so the native unit tests check
 * it; command_win32.c uses it.
 *
 * A program parses its command line with CommandLineToArgvW's rules (the
 * Microsoft C runtime's): an argument with a blank or a quote is quoted,
 * a quote inside is \", and backslashes are doubled only where they come
 * before a quote.  cmd.exe, which runs a .bat or .cmd, has rules of its
 * own: quotes group, but % still expands and a quote cannot be escaped,
 * so such an argument is refused rather than reinterpreted.
 */
#ifndef SABA_CMDLINE_H
#define SABA_CMDLINE_H

#include <stddef.h>

/* The command line of argv[0..argc) (UTF-8, malloc'd).  argv[0] is the
 * program, quoted as a path.  batch: the program is a .bat or .cmd file.
 * NULL with a message in err when an argument cannot be passed. */
char *saba_cmdline_join(const char *const *argv, size_t argc, int batch, char *err, size_t errlen);

/* Is the file name a batch file (ends in .bat or .cmd, any case)? */
int saba_cmdline_is_batch(const char *path);

/* The output of a command (len bytes at buf), as mackerel-agent reads it
 * on Windows: an even length with a NUL byte in it is UTF-16LE (what
 * `cmd /U` makes of builtins' output), turned into UTF-8 in a new malloc'd
 * buffer (*out, *outlen; unpaired surrogates become U+FFFD).  Returns 1
 * when it converted, 0 when the bytes are to be kept as they are, -1 when
 * out of memory. */
int saba_cmdline_utf16_text(const char *buf, size_t len, char **out, size_t *outlen);

#endif
