"""Animation file formats, one module per format: its writer and, where the format can be read back, its reader.

====================  ====================================  =========================================
module                writes                                reads back
====================  ====================================  =========================================
:mod:`.npz`           kmtalk's own ``.npz``                 :func:`~.npz.read_npz`
:mod:`.livelink`      Live Link Face ``.csv``               :func:`~.livelink.read_livelink_animation`
:mod:`.jsonfile`      ``.json`` (curves + timeline)         :func:`~.jsonfile.read_json`
:mod:`.gltf`          ``.glb`` / ``.gltf``                  :func:`~.gltf.read_gltf`
:mod:`.meshseq`       ``.obj`` / ``.ply`` frame sequences   — (meshes, not curves)
:mod:`.textgrid`      Praat ``.TextGrid``                   — (timing only)
====================  ====================================  =========================================

They are picked by extension through the registries of :mod:`kmtalk.face.formats`
(``Animation.export``) and :func:`kmtalk.load <kmtalk.io.load>`; the formats are
described in ``docs/exports.md``.
"""
