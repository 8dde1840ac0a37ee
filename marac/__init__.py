"""marac: built by a later issue (see README, "Map of the apps")."""
