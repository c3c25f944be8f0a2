"""helsemod_py: supply of and demand for health and care personnel per Norwegian municipality."""
__version__ = "0.1.0"
