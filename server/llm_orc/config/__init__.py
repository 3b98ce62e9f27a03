"""Configuration: where files live, model profiles, and the ensembles found on disk."""
