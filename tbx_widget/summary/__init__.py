"""Pure functions: values → ``Summary`` protos (and the bytes of scalar events)."""
