/* cli_serve.h — `omwitness serve`: the web UI and JSON API over a stored evidence store. */
#ifndef OW_CLI_SERVE_H
#define OW_CLI_SERVE_H

#include <stddef.h>

/* Takes the arguments after "serve"; runs until SIGINT/SIGTERM; returns the exit code. */
int ow_cmd_serve(int argc, char **argv);

/* Reads a bearer token from a file (first line, surrounding whitespace removed; at least 16
 * printable characters). 0, or -1 with a one-line reason in err. */
int ow_read_token_file(const char *path, char *token, size_t tokenlen, char *err, size_t errlen);

#endif
