/* Pieces shared by the optimize, walkforward and evaluate commands. */
#ifndef CQUANT_APP_CMD_OPTIMIZE_H
#define CQUANT_APP_CMD_OPTIMIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

/* Writes a study, walk-forward or evaluation document to path: as the HTML report (html)
 * or as the JSON itself; the file is replaced only when all of it was written. */
int opt_write_doc(cli_ctx *ctx, const char *cmd, const char *path, const char *doc, size_t len,
                  bool html);

#endif
