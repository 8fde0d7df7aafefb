"""Training rows: token ids with a loss mask, drawn from a seeded RNG.

A row is T + 2 tokens (inputs 0..T-1; main targets 1..T; MTP targets 2..T+1), filled either with consecutive KJV
verses (one per line, every token trained) or with chat conversations packed one after another (only the assistant's
output and its end-of-turn token trained). Every row starts at a document start, so the model sees conversations at
position 0 as it will in use.
"""
import random

import torch

from . import chatdata, template

PAD_ID = 3


def book_ends(verses):
    """book_ends[i] = index of the first verse after the book of verse i (a row never runs into the next book)."""
    ends, end = [0] * len(verses), len(verses)
    for i in range(len(verses) - 1, -1, -1):
        if i + 1 < len(verses) and verses[i + 1].book != verses[i].book:
            end = i + 1
        ends[i] = end
    return ends


class Encoded:
    """A conversation as ids and a 0/1 loss mask."""
    __slots__ = ("ids", "mask")

    def __init__(self, ids, mask):
        self.ids, self.mask = ids, mask


def encode_conversation(tok, messages, tools):
    ids, mask = [], []
    for text, trained in template.render_spans(messages, tools, add_generation_prompt=False):
        piece = tok.encode(text)
        ids += piece
        mask += [1 if trained else 0] * len(piece)
    return Encoded(ids, mask)


class Mixture:
    """Draws rows from the KJV stream and from pools of conversations, in fixed proportions."""

    def __init__(self, tok, verses, seed, n_chat=20000, n_tool=12000, n_notool=1200, progress=None):
        self.tok = tok
        self.rng = random.Random(seed)
        self.verse_ids = [tok.encode(v.text + "\n") for v in verses]
        self.book_end = book_ends(verses)
        g = random.Random(seed + 1)
        idx = chatdata.word_index(verses)
        self.chat = [encode_conversation(tok, *chatdata.chat_conversation(g, verses, idx)) for _ in range(n_chat)]
        if progress:
            progress(f"data: {n_chat} chat conversations")
        self.tool = [encode_conversation(tok, *chatdata.tool_conversation(g, chatdata.TRAIN_CITIES)) for _ in range(n_tool)]
        self.tool += [encode_conversation(tok, *chatdata.no_tool_conversation(g, chatdata.TRAIN_CITIES)) for _ in range(n_notool)]
        if progress:
            progress(f"data: {len(self.tool)} tool conversations; mean tokens chat "
                     f"{sum(len(c.ids) for c in self.chat) / len(self.chat):.0f}, tool {sum(len(c.ids) for c in self.tool) / len(self.tool):.0f}")

    def kjv_row(self, n, rng=None):
        rng = rng or self.rng
        i = rng.randrange(len(self.verse_ids))
        ids = []
        while len(ids) < n:
            ids += self.verse_ids[i]
            i += 1
            if i >= self.book_end[i - 1]:
                i = rng.randrange(len(self.verse_ids))
        return ids[:n], [1] * n

    def packed_row(self, pool, n):
        """Conversations from `pool` while they fit, then short chat conversations that fit; the last one may be cut."""
        ids, mask = [], []
        for src in (pool, self.chat):
            for _ in range(8):
                c = self.rng.choice(src)
                if len(ids) + len(c.ids) > n and ids:
                    continue
                ids += c.ids
                mask += c.mask
        while len(ids) < n:
            c = self.rng.choice(self.chat)
            ids += c.ids
            mask += c.mask
        return ids[:n], mask[:n]

    def batch(self, B, T, mix):
        """(ids [B, T+2] int64, mask [B, T+2] float). mix: (kjv, chat, tool) proportions."""
        rows = []
        for _ in range(B):
            r = self.rng.random()
            if r < mix[0]:
                rows.append(self.kjv_row(T + 2))
            elif r < mix[0] + mix[1]:
                rows.append(self.packed_row(self.chat, T + 2))
            else:
                rows.append(self.packed_row(self.tool, T + 2))
        ids = torch.tensor([r[0] for r in rows], dtype=torch.long)
        mask = torch.tensor([r[1] for r in rows], dtype=torch.float32)
        return ids, mask


def eval_rows(tok, verses, T, n_rows, seed):
    """Held-out plain-text rows: consecutive held-out verses, fixed by the seed."""
    m = Mixture.__new__(Mixture)
    m.verse_ids = [tok.encode(v.text + "\n") for v in verses]
    m.book_end = book_ends(verses)
    rng = random.Random(seed)
    rows = [m.kjv_row(T + 2, rng)[0] for _ in range(n_rows)]
    return torch.tensor(rows, dtype=torch.long)
