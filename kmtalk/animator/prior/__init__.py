"""The linguistic prior animator (no trained weights): lexicon poses + coarticulation + articulatory facts."""

from .animator import animate_prior, modulate
from .coarticulation import blend, n_frames_for
from .poses import PriorTables, load_prior_tables

__all__ = ["animate_prior", "modulate", "blend", "n_frames_for",
           "PriorTables", "load_prior_tables"]
