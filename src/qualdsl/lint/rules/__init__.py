"""One module per lint rule, `qdNNN_name.py`; importing a module registers it."""
