"""Embeddings (the projector): read from a run directory's ``projector_config.pbtxt``, not from event
files, so not among ``KINDS``; a live kind all the same."""
KIND = "embeddings"
