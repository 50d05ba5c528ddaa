"""Observe stage: what AWS has, read for every desired resource and discovered for the suffix
(reads only)."""
