"""``make mutate``: mutation testing of the modules that hold rules (see ``run.py``)."""
