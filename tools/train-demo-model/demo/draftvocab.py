"""mtp_draft_vocab.json: the tokens the model is trained to write, ranked by count, for the SDK's draft vocabulary.

Speculative decoding drafts from the first `size` of them (LongCat.Sdk's DraftVocabulary; `longcat draft-vocab` makes
the same file from any text). Counted over rows of the training mixture at the trained positions only (what the model
writes, not the prompts it reads); ties go to the lower id.
"""
import json
import os

FILE_NAME = "mtp_draft_vocab.json"


def write(out_dir, mix, mix_p, vocab_size, rows=2000, seq=512, size=None):
    counts = [0] * vocab_size
    total = 0
    for _ in range(rows // 8):
        ids, mask = mix.batch(8, seq, mix_p)
        for i, m in zip(ids.reshape(-1).tolist(), mask.reshape(-1).tolist()):
            if m > 0:
                counts[i] += 1
                total += 1
    ranked = sorted((i for i in range(vocab_size) if counts[i] > 0), key=lambda i: (-counts[i], i))
    size = min(size or vocab_size // 4, len(ranked))
    covered = sum(counts[i] for i in ranked[:size])
    doc = {
        "description": f"tokens at the trained positions of {rows} rows of the training mixture ({total} tokens), ranked by "
                       f"count; the first {size} (a quarter of the vocabulary) cover {100 * covered / total:.2f}% of them",
        "size": size,
        "tokens": ranked,
    }
    with open(os.path.join(out_dir, FILE_NAME), "w") as f:
        json.dump(doc, f)
        f.write("\n")
    return {"tokens_counted": total, "distinct": len(ranked), "size": size, "coverage": covered / total}
