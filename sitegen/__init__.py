"""sitegen: a static-site generator for curated news collections."""

__version__ = "0.1.0"
