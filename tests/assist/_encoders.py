"""Tiny sentence encoders the tests build and save themselves (no weights can be downloaded here).

:func:`save_word_encoder` writes a real sentence-transformers model folder (a Hugging Face BERT with its
tokenizer, then mean pooling) whose "knowledge" is set by hand: each word of the vocabulary gets the vector it
is given, the BERT has no layers and no position or segment signal, so a text's embedding is the mean of its
words' vectors (after BERT's layer norm). Words given the same vector are synonyms to it: what a pretrained
encoder knows and the n-gram features cannot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def save_word_encoder(folder: Path, vectors: Mapping[str, Sequence[float]]) -> Path:
    """Save a sentence-transformers model into ``folder`` that embeds a text as the mean of its words' vectors."""
    from labelhub.search._torch_compat import prepare_torchvision

    prepare_torchvision()
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = list(vectors)
    width = len(next(iter(vectors.values())))
    hf = folder / "hf"
    hf.mkdir(parents=True, exist_ok=True)
    # words as given: accents kept, and a run of CJK characters one word (BERT's defaults split and strip them)
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate([*SPECIALS, *words])}, strip_accents=False,
                                  tokenize_chinese_chars=False)  # fmt: skip
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=width, num_hidden_layers=0, num_attention_heads=1,
                        intermediate_size=width, max_position_embeddings=64, hidden_dropout_prob=0.0)  # fmt: skip
    model = BertModel(config, add_pooling_layer=False)
    table = np.zeros((len(tokenizer), width), dtype=np.float32)
    for i, word in enumerate(words):
        v = np.asarray(vectors[word], dtype=np.float32)
        table[len(SPECIALS) + i] = v - v.mean()  # zero-mean: the layer norm then keeps the direction
    with torch.no_grad():
        emb = model.embeddings
        emb.word_embeddings.weight.copy_(torch.from_numpy(table))
        emb.position_embeddings.weight.zero_()
        emb.token_type_embeddings.weight.zero_()
    model.save_pretrained(hf)
    tokenizer.save_pretrained(hf)
    st = SentenceTransformer(modules=[Transformer(str(hf), max_seq_length=32), Pooling(width, "mean")], device="cpu")
    out = folder / "encoder"
    st.save(str(out))
    return out


def random_word_encoder(folder: Path, texts: Iterable[str], *, width: int = 16, seed: int = 0) -> Path:
    """Save an encoder that knows every word of ``texts`` (lower-cased, as its tokenizer cuts them) by a random
    vector: for tests of the plumbing, where what the encoder knows does not matter."""
    words = sorted({w for t in texts for w in re.findall(r"\w+|[^\w\s]", t.lower())})
    rng = np.random.default_rng(seed)
    return save_word_encoder(folder, {w: list(rng.normal(size=width)) for w in words})


CLASSES = ["card", "loan", "travel", "fraud"]
WIDTH = 16
Synonyms = dict[str, list[list[str]]]


def _made_up_word(rng: np.random.Generator) -> str:
    return "".join(rng.choice(list("bcdfghjklmnpqrstvwxz"), size=7))


def synonym_encoder(folder: Path) -> tuple[Path, Synonyms]:
    """Save an encoder that knows synonyms the texts' n-grams cannot: four classes, each named by eight made-up
    words (``words[class][0]``: four for training texts, ``words[class][1]``: four others, its synonyms, for test
    texts), plus filler words of no class (``words["filler"][0]``). A class's eight words get one vector (and a
    little noise). Return the encoder's folder and the words."""
    rng = np.random.default_rng(7)
    centres = np.linalg.qr(rng.normal(size=(WIDTH, WIDTH)))[0][: len(CLASSES)] * 4
    words: Synonyms = {c: [[_made_up_word(rng) for _ in range(4)] for _ in range(2)] for c in CLASSES}
    filler = [_made_up_word(rng) for _ in range(12)]
    vectors: dict[str, np.ndarray] = {w: rng.normal(size=WIDTH) * 0.3 for w in filler}
    for c, centre in zip(CLASSES, centres, strict=True):
        for w in words[c][0] + words[c][1]:
            vectors[w] = centre + rng.normal(size=WIDTH) * 0.3
    words["filler"] = [filler]
    return save_word_encoder(folder, {w: list(v) for w, v in vectors.items()}), words


def synonym_texts(words: Synonyms, part: int, n: int, seed: int) -> tuple[list[str], list[str]]:
    """Return ``n`` texts and their classes, in turn: two words of the class's ``part`` (0 or 1), three fillers."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        c = CLASSES[i % len(CLASSES)]
        picked = [*rng.choice(words[c][part], size=2), *rng.choice(words["filler"][0], size=3)]
        texts.append(" ".join(rng.permutation(picked)))
        labels.append(c)
    return texts, labels
