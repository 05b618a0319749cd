/* cli.h — the subcommands of the omwitness command line (README.md "Using it"). Each
 * takes the arguments after its name and returns the exit code. */
#ifndef OW_CLI_H
#define OW_CLI_H

int ow_cmd_replay(int argc, char **argv);
int ow_cmd_capture(int argc, char **argv);
int ow_cmd_flows(int argc, char **argv);
int ow_cmd_alerts(int argc, char **argv);
int ow_cmd_triage(int argc, char **argv);
int ow_cmd_policy(int argc, char **argv);
int ow_cmd_policy_learn(int argc, char **argv);   /* argv[0] is "learn" */
int ow_cmd_keys(int argc, char **argv);           /* argv[1] is "init" */

/* Prints "omwitness: <msg>" and a hint to stderr; returns 2 (bad usage). */
int ow_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
