"""carexport: software for running a vehicle-export pipeline."""

__version__ = "0.1.0"
