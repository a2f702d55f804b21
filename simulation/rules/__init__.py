"""The model's rules, one module each: a reader can open any one alone.

Every rule works on numpy arrays over the flat cell index of
:class:`simulation.theatre.TheatreMap`; none loops over cells in Python.
"""
