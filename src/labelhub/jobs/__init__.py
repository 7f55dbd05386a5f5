"""Running jobs: the executor protocol, the local worker, and the handlers for each job kind."""
