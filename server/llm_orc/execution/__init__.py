"""Running ensembles: the scheduler, its event stream, and the result document."""
