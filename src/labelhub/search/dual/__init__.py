"""The built-in multilingual dual encoder (and the settings of the built-in encoders).

Only the settings are imported here, so ``import labelhub.search`` does not load torch: the network is in
:mod:`.model`, its towers in :mod:`.images` and :mod:`.text`, training in :mod:`.train`, the ``dual``
embedder in :mod:`.embedder`, and translation-pair files are read by :mod:`.bitext`. See docs/search.md,
"Built-in encoders".
"""

from labelhub.search.dual.config import DualConfig, EncoderCheckpoint, SslConfig, TextHashing

__all__ = ["DualConfig", "EncoderCheckpoint", "SslConfig", "TextHashing"]
