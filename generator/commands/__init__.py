"""One module per `kb` command that is more than a pipeline call."""
