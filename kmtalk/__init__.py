"""kmtalk — speech + transcript to 3D facial animation (ARKit-52 blendshapes).

Examples
--------
>>> import kmtalk
>>> kmtalk.__version__
'0.1.0'
"""

from . import errors

__version__ = "0.1.0"
__all__ = ["errors", "__version__"]
