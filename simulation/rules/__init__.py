"""The model's rules, one module each: a reader can open any one alone.

Every rule is a pure function over numpy arrays (on the flat cell index of
:class:`simulation.theatre.TheatreMap`), plain values and its section of the
scenario's parameters (:mod:`simulation.scenario.rule_params`); randomness comes
from the generator passed in. No rule knows the model or an agent: the model hands
each one today's arrays and applies what it returns (docs/ARCHITECTURE.md). None
loops over cells in Python.
"""
