"""Custom domain signals the MARAC sends: none (it is the top layer; nothing listens above it).
The signals it receives are in ``receivers.py``; README "Custom signals" lists them all."""
