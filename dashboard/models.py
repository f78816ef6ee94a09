"""The dashboard reads other apps' data; it has no models of its own."""
