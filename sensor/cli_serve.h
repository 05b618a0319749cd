/* cli_serve.h — `omwitness serve`: the web UI and JSON API over a stored evidence store. */
#ifndef OW_CLI_SERVE_H
#define OW_CLI_SERVE_H

/* Takes the arguments after "serve"; runs until SIGINT/SIGTERM; returns the exit code. */
int ow_cmd_serve(int argc, char **argv);

#endif
