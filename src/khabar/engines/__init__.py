"""Engines other than the local one: where the pipeline runs (``--engine``)."""
