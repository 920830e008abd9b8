"""specport: port Spec-Bench inference runners to specdec_bench model classes."""

__version__ = "0.1.0"
