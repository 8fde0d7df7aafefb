"""Byte-level BPE: a trainer that writes a Hugging Face tokenizer.json, and an encoder with exactly the semantics of
Hugging Face `tokenizers` for that file (added tokens split out first, leftmost-longest; ByteLevel pre-tokenizer with
the GPT-2 regex and no prefix space; BPE merges applied by rank; ByteLevel decoder).

Layout of the vocabulary: ids 0..len(added)-1 are the added tokens (LongCat's specials at 0..3), then the 256 byte
symbols in byte order, then one id per merge in merge order.
"""
import heapq
import json
from collections import Counter, defaultdict

import regex

# GPT-2's pre-tokenizer pattern, as Hugging Face's ByteLevel pre-tokenizer uses it (use_regex = true).
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
_PRETOK = regex.compile(GPT2_PATTERN)


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character map (Hugging Face ByteLevel's alphabet)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def pretokenize(text):
    """ByteLevel pre-tokenizer: GPT-2 regex split, then each piece's UTF-8 bytes mapped to the byte alphabet."""
    return ["".join(BYTE_TO_CHAR[b] for b in piece.encode("utf-8")) for piece in _PRETOK.findall(text)]


def train_bpe(texts, vocab_size, added_tokens, progress=None):
    """Learns merges from `texts` (iterable of str; added-token strings are removed from them first).

    Classic word-frequency BPE with incremental pair counts: at each step the most frequent adjacent pair is merged
    (ties broken by the smallest pair, so the result is deterministic). Two symbols that both hold a digit are never
    merged, so numbers are spelled one digit per token (a space may lead the first).
    Returns (vocab: dict token->id, merges: list of (a, b)).
    """
    splitter = _added_splitter(added_tokens)
    words = Counter()
    for t in texts:
        for seg, is_added in _split_added(t, splitter):
            if not is_added:
                words.update(pretokenize(seg))

    vocab = {}
    for tok in added_tokens:
        vocab[tok] = len(vocab)
    for b in range(256):
        vocab[BYTE_TO_CHAR[b]] = len(vocab)

    word_syms = [list(w) for w in words]
    word_freq = [words[w] for w in words]
    pair_count = Counter()
    pair_where = defaultdict(set)
    for i, syms in enumerate(word_syms):
        for a, b in zip(syms, syms[1:]):
            pair_count[(a, b)] += word_freq[i]
            pair_where[(a, b)].add(i)

    # Lazy max-heap of (-count, pair): stale entries (count changed since pushed) are skipped when popped.
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges = []
    while len(vocab) < vocab_size and heap:
        negc, best = heapq.heappop(heap)
        if pair_count.get(best, 0) != -negc:
            continue
        if -negc < 2:
            break
        a, b = best
        if _has_digit(a) and _has_digit(b):
            continue   # digits stay one per token (numbers copy digit by digit into tool calls and answers)
        new = a + b
        merges.append(best)
        vocab[new] = len(vocab)
        touched = set()
        for i in list(pair_where[best]):
            syms, f = word_syms[i], word_freq[i]
            if not any(x == a and y == b for x, y in zip(syms, syms[1:])):
                continue
            for p in zip(syms, syms[1:]):
                pair_count[p] -= f
                touched.add(p)
            merged = []
            j = 0
            while j < len(syms):
                if j + 1 < len(syms) and syms[j] == a and syms[j + 1] == b:
                    merged.append(new)
                    j += 2
                else:
                    merged.append(syms[j])
                    j += 1
            word_syms[i] = merged
            for p in zip(merged, merged[1:]):
                pair_count[p] += f
                pair_where[p].add(i)
                touched.add(p)
        pair_where.pop(best, None)
        for p in touched:
            c = pair_count.get(p, 0)
            if c <= 0:
                pair_count.pop(p, None)
            elif p != best:
                heapq.heappush(heap, (-c, p))
        pair_count.pop(best, None)
        if progress and len(merges) % 500 == 0:
            progress(f"bpe: {len(merges)} merges, vocab {len(vocab)}")
    return vocab, merges


def _has_digit(sym):
    return any("0" <= c <= "9" for c in sym)


def _added_splitter(added_tokens):
    if not added_tokens:
        return None
    # Leftmost-longest: at each position the alternation tries longer tokens first.
    alts = sorted(added_tokens, key=lambda s: (-len(s), s))
    return regex.compile("|".join(regex.escape(t) for t in alts))


def _split_added(text, splitter):
    if splitter is None:
        yield text, False
        return
    pos = 0
    for m in splitter.finditer(text):
        if m.start() > pos:
            yield text[pos:m.start()], False
        yield m.group(0), True
        pos = m.end()
    if pos < len(text):
        yield text[pos:], False


def tokenizer_json(vocab, merges, added_tokens, special_flags):
    """The Hugging Face tokenizer.json document (dict)."""
    added = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": special_flags[t]} for t in added_tokens]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }


class Tokenizer:
    """Encoder/decoder for a byte-level BPE tokenizer.json, matching Hugging Face `tokenizers`."""

    def __init__(self, doc):
        model = doc["model"]
        assert model["type"] == "BPE"
        self.vocab = dict(model["vocab"])
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.added = {t["content"]: t["id"] for t in doc.get("added_tokens", [])}
        self.special_ids = {t["id"] for t in doc.get("added_tokens", []) if t.get("special")}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        for t, i in self.added.items():
            self.id_to_token[i] = t
        self._splitter = _added_splitter(list(self.added))
        self._cache = {}

    @staticmethod
    def load(path):
        with open(path, encoding="utf-8") as f:
            return Tokenizer(json.load(f))

    def __len__(self):
        return max(self.id_to_token) + 1

    def token_id(self, token):
        return self.added.get(token, self.vocab.get(token))

    def encode(self, text, parse_special=True):
        ids = []
        segments = _split_added(text, self._splitter) if parse_special else [(text, False)]
        for seg, is_added in segments:
            if is_added:
                ids.append(self.added[seg])
                continue
            for word in pretokenize(seg):
                ids.extend(self._bpe(word))
        return ids

    def _bpe(self, word):
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        syms = list(word)
        while len(syms) > 1:
            best, best_rank = None, None
            for i in range(len(syms) - 1):
                r = self.ranks.get((syms[i], syms[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = i, r
            if best is None:
                break
            a, b = syms[best], syms[best + 1]
            # Merge every occurrence of the best pair, left to right (same result as HF's rank/position queue).
            out, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            syms = out
        ids = [self.vocab[s] for s in syms]
        if len(self._cache) < 200000:
            self._cache[word] = ids
        return ids

    def decode(self, ids, skip_special=False):
        """ByteLevel decoder: added tokens as their text, other tokens mapped back to bytes (invalid UTF-8 -> U+FFFD)."""
        out, buf = [], []
        for i in ids:
            tok = self.id_to_token[i]
            if tok in self.added:
                if buf:
                    out.append(bytes(buf).decode("utf-8", errors="replace"))
                    buf = []
                if not (skip_special and i in self.special_ids):
                    out.append(tok)
            else:
                buf.extend(CHAR_TO_BYTE[c] for c in tok)
        if buf:
            out.append(bytes(buf).decode("utf-8", errors="replace"))
        return "".join(out)
