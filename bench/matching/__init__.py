"""Accuracy and speed of the person-matching engine (``incidents.matching``).

``python -m bench.matching`` prints the figures; see ``__main__`` for the options.
"""
