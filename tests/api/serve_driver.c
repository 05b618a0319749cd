/* serve_driver.c — runs ow_cmd_serve as its own program, so the API tests can start the
 * server from a build whose omwitness does not dispatch `serve` yet. */
#include <stdarg.h>
#include <stdio.h>

#include "sensor/cli.h"
#include "sensor/cli_serve.h"

int ow_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "omwitness %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "; see 'omwitness %s --help'\n", cmd);
    return 2;
}

int main(int argc, char **argv)
{
    return ow_cmd_serve(argc, argv);
}
