"""Binary answers, as users meet them: ``Body`` (sync) and ``AsyncBody`` (async), what speech,
a file's content and a video's content return inside their Success.

A body is not read when the call returns: ``read()`` it whole, ``save(path)`` it chunk by chunk
or iterate ``iter_bytes()``, each giving Results; close it (``with``) if you do none of these.
"""

from openrouter_core._machinery.binary import AsyncBody, Body

__all__ = ["AsyncBody", "Body"]
