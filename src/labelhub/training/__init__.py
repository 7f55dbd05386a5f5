"""Helpers for training scripts that read labelhub projects (they run on the training machine, not the server)."""
