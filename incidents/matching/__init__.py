"""The person-matching engine: normalised keys, candidate retrieval by indexed blocks, scoring.

``keys`` computes the stored key columns; ``engine`` finds and ranks candidates.
"""
