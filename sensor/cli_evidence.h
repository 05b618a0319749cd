/* cli_evidence.h — `verify`, `report` and `evidence`: the evidence store's integrity, the
 * period report, and an alert's packets as a pcap (docs/evidence.md). Each takes the arguments
 * after its name and returns the exit code. */
#ifndef OW_CLI_EVIDENCE_H
#define OW_CLI_EVIDENCE_H

int ow_cmd_verify(int argc, char **argv);
int ow_cmd_report(int argc, char **argv);
int ow_cmd_evidence(int argc, char **argv);

#endif
