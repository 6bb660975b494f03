"""The fault-injection suite (`make reliability`): real processes, broken on purpose.

See README.md, "Fault-injection suite", and `python -m reliability --help`.
"""
