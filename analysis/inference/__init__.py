"""Calibration by inference: the free parameters fitted to the record's training events by ABC-SMC.

``run.py calibrate`` drives it; one idea per module:

- :mod:`.parameters`: the free parameters and their priors (``parameters.yaml``);
- :mod:`.summaries`: one simulation's summary statistics, and the record's;
- :mod:`.distance`: how far a simulation lies from the record, in days;
- :mod:`.fit`: checking a fit, then running it and writing its report;
- :mod:`.smc`: pyabc's side: the sampler (Dask or this process), ``ABCSMC``, priors and epsilon;
- :mod:`.progress`: a line per generation and a live bar on stderr;
- :mod:`.store`: the output folder, its manifest and pyabc's database;
- :mod:`.posterior`: the last generation, the generations and the marginals, from the database;
- :mod:`.report`: ``posterior.csv``, ``posterior.yaml``, ``generations.csv``, ``posterior.png``, ``fit.md``.

pyabc is imported only when a fit runs (it takes about two seconds).
"""
