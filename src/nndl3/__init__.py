"""Chapter 3 of Nielsen's *Neural Networks and Deep Learning*, re-run with NumPy."""

__version__ = "0.1.0"
