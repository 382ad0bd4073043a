"""The persistent story index behind `khabar serve` and `khabar ingest`."""
