/* The ganc program: everything is in the CLI library (cli_main.c dispatches to one file per subcommand). */
#include "cli.h"

int main(int argc, char **argv) { return ganc_cli_main(argc, argv); }
