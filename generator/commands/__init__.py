"""One module per `kb` command that is more than a pipeline call."""

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
"""Every `kb` command's exit status: success, problems in the data, a usage error."""
