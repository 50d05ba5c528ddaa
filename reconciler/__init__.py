"""lambda-reconciler: keeps AWS Lambda systems in the shape their owners declared."""

__version__ = "0.1.0"
