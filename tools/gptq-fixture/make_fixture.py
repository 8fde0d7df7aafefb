"""Writes an int4 GPTQ / AutoRound-packed copy of a LongCat checkpoint, with goldens computed by the PyTorch reference
(tools/train-demo-model/demo/model.py) over the dequantized weights.

Packing (see README.md for sources): for a linear W [out, in] quantized with group size G,
  qweight I32 [in/8, out]:  nibble j (bits 4j..4j+3) of qweight[i, o] holds q[o, 8i + j]
  qzeros  I32 [in/G, out/8]: nibble j of qzeros[g, k] holds the stored zero of (row 8k + j, group g)
  scales  F16 [in/G, out]:   scales[g, o]
  g_idx   I32 [in] (only with --g-idx, as AutoGPTQ-style exports carry it): g_idx[c] = c / G
and w[o, c] = scales[c/G, o] * (q[o, c] - zero[c/G, o]). The "auto_round:auto_gptq" packing (AutoRound's default for sym
int) and GPTQ ("gptq" quant_method) store zero - 1 ("v1"); "auto_round" and "auto_round:gptqmodel" store the zero itself.
A v1 word is the wrapped int32 sum of (zero - 1) << 4j, so a zero of 0 borrows from the next nibble; the reader undoes it
by adding 0x11111111 to the word before splitting nibbles.

Usage (from the repository root, Debian's python3-torch):
  /usr/bin/python3 tools/gptq-fixture/make_fixture.py --source tests/fixtures/tiny-a \
      --out tests/fixtures/tiny-a-autoround-int4 --group-size 32
  /usr/bin/python3 tools/gptq-fixture/make_fixture.py --source tests/fixtures/tiny-a \
      --out tests/fixtures/tiny-a-autoround-int4-asym --group-size 64 --asym --packing auto_round
"""
import argparse
import json
import os
import random
import shutil
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "train-demo-model"))
from demo import export, golden, safetensors_io  # noqa: E402  (the demo model's PyTorch reference and golden writer)
from demo.model import Config, LongCatFlash  # noqa: E402

BITS = 4
MAXQ = (1 << BITS) - 1
PACK = 32 // BITS  # values per int32
# Linear projections of a decoder block or of the MTP layer; the router classifier, norms, embeddings and lm_head stay.
PROJECTIONS = ("q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
               "eh_proj")
BLOCKS = ("model.layers", "model.mtp.layers")
V1_PACKINGS = ("auto_round:auto_gptq", "auto_round:gptq")  # AutoRound's GPTQ_FORMAT: stored zero = zero - 1


def read_checkpoint(src):
    """name -> tensor (BF16 / F32 as stored), in file order, from model.safetensors or the shards of the index."""
    index = os.path.join(src, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = list(dict.fromkeys(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    out = {}
    for name in files:
        out.update(safetensors_io.load(os.path.join(src, name)))
    return out


def save_safetensors(tensors, path):
    """Minimal safetensors writer for BF16, F16, F32 and I32 tensors (written in the given order)."""
    names = {torch.bfloat16: "BF16", torch.float16: "F16", torch.float32: "F32", torch.int32: "I32"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def is_linear(name, t):
    if not name.endswith(".weight") or t.dim() != 2 or not name.startswith(tuple(b + "." for b in BLOCKS)):
        return False
    return name[: -len(".weight")].rsplit(".", 1)[-1] in PROJECTIONS


def quantize_rtn(w, group, sym):
    """Round-to-nearest per (row, group). w: float64 [out, in]. Returns q int64 [out, in], scale float16 [out, in/G],
    zero int64 [out, in/G]."""
    out_dim, in_dim = w.shape
    g = w.reshape(out_dim, in_dim // group, group)
    if sym:
        # GPTQ's symmetric grid: range [-amax, amax] over 15 steps, zero at the midpoint 8.
        amax = g.abs().amax(-1)
        scale = 2 * amax / MAXQ
        zero = torch.full_like(amax, (MAXQ + 1) // 2, dtype=torch.int64)
    else:
        lo, hi = g.amin(-1).clamp(max=0), g.amax(-1).clamp(min=0)
        scale = (hi - lo) / MAXQ
        zero = None
    scale = torch.where(scale == 0, torch.ones_like(scale), scale).to(torch.float16)  # stored F16, used as stored
    s = scale.double()
    if zero is None:
        zero = torch.round(-lo / s).clamp(0, MAXQ).to(torch.int64)
    q = torch.round(g / s[..., None] + zero[..., None]).clamp(0, MAXQ).to(torch.int64)
    return q.reshape(out_dim, in_dim), scale, zero


def pack_rows(values):
    """values int64 [n, 8m] in 0..15 (or -1 for a v1 zero of 0) -> int32 [n, m]: element 8k+j at bits 4j of word k, as the
    wrapped int32 sum of value << 4j (what the exporters compute)."""
    n, w = values.shape
    v = values.reshape(n, w // PACK, PACK)
    words = (v << (torch.arange(PACK, dtype=torch.int64) * BITS)).sum(-1)
    return torch.from_numpy((words.numpy() & 0xFFFFFFFF).astype(np.uint32).view(np.int32))


def pack_linear(q, scale, zero, group, v1, g_idx):
    """The export's tensors for one linear: qweight [in/8, out], qzeros [in/G, out/8], scales [in/G, out] (+ g_idx)."""
    in_dim = q.shape[1]
    tensors = {
        "qweight": pack_rows(q).t().contiguous(),
        "qzeros": pack_rows((zero - 1 if v1 else zero).t().contiguous()),
        "scales": scale.t().contiguous(),
    }
    if g_idx:
        tensors["g_idx"] = torch.arange(in_dim, dtype=torch.int32) // group
    return tensors


def dequantize(q, scale, zero, group):
    s = scale.double().repeat_interleave(group, 1)
    z = zero.repeat_interleave(group, 1)
    return s * (q - z).double()


def unpack_check(tensors, q, scale, zero, group, v1):
    """Reads the packed tensors back the way the SDK's loader will (an independent check of pack_linear)."""
    qw = torch.from_numpy(tensors["qweight"].numpy().view(np.uint32).astype(np.int64))
    shifts = torch.arange(PACK, dtype=torch.int64) * BITS
    q2 = ((qw[:, None, :] >> shifts[None, :, None]) & MAXQ).reshape(-1, qw.shape[1]).t()
    qz = torch.from_numpy(tensors["qzeros"].numpy().view(np.uint32).astype(np.int64))
    if v1:
        qz = (qz + 0x11111111) & 0xFFFFFFFF
    z2 = ((qz[:, :, None] >> shifts) & MAXQ).reshape(qz.shape[0], -1).t()
    assert torch.equal(q2, q) and torch.equal(z2, zero) and torch.equal(tensors["scales"].t(), scale)


def plan(stored, group):
    """(quantized linear names, linear names kept unquantized) under the fixture's rule: in % G == 0 and out % 8 == 0."""
    quant, kept = [], []
    for name, t in stored.items():
        if is_linear(name, t):
            (quant if t.shape[1] % group == 0 and t.shape[0] % PACK == 0 else kept).append(name[: -len(".weight")])
    return quant, kept


def quantization_config(args, kept, classifiers):
    # AutoRound writes a layer it leaves in 16 bits into extra_config with bits 16 / data_type fp; its LongCat rule
    # ignores every "classifier" (the router's).
    extra = {name: {"bits": 16, "data_type": "fp"} for name in sorted(kept + classifiers)}
    return {
        "bits": BITS,
        "group_size": args.group_size,
        "sym": not args.asym,
        "data_type": "int",
        "iters": 0,
        "quant_method": "auto-round",
        "packing_format": args.packing,
        "block_name_to_quantize": list(BLOCKS),
        "extra_config": extra,
    }


def make_loader(dequantized, cfg):
    """Stands in for export.load_checkpoint in golden.write: the reference model over the dequantized weights."""
    def load(_dir, dtype=torch.float32):
        model = LongCatFlash(cfg)
        model.mtp_embed = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        with torch.no_grad():
            export._assign(model, dequantized)
        return model.to(dtype).eval()
    return load


def prompt_groups(src, vocab, seed):
    """Candidates per golden prompt: the source fixture's prompts first, then seeded random ids of the same lengths."""
    g = safetensors_io.load(os.path.join(src, "golden.safetensors"))
    rng = random.Random(seed)
    groups = []
    for p in range(3):
        ids = [int(x) for x in g[f"prompt_p{p}"]]
        cands = [(f"{os.path.basename(os.path.normpath(src))} prompt_p{p}", ids)]
        cands += [(f"random ids (seed {seed}, group {p}, candidate {i})", [rng.randrange(4, vocab) for _ in ids]) for i in range(12)]
        groups.append(cands)
    return groups


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", required=True, help="a LongCat checkpoint folder with golden.safetensors (for prompts)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--group-size", type=int, default=32)
    ap.add_argument("--asym", action="store_true", help="asymmetric (per-group zero) instead of AutoRound's default sym")
    ap.add_argument("--packing", default="auto_round:auto_gptq", choices=["auto_round:auto_gptq", "auto_round", "auto_round:gptqmodel"])
    ap.add_argument("--g-idx", action="store_true", help="write the trivial g_idx beside each packed linear")
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    if args.group_size % 32:
        sys.exit("group size must be a multiple of 32")
    v1 = args.packing in V1_PACKINGS

    with open(os.path.join(args.source, "config.json")) as f:
        config = json.load(f)
    cfg = Config(**{k: config[k] for k in Config.__dataclass_fields__})
    stored = read_checkpoint(args.source)
    quant, kept = plan(stored, args.group_size)
    classifiers = sorted(n[: -len(".weight")] for n in stored if n.endswith("mlp.router.classifier.weight"))

    out_tensors, dequantized = {}, {}
    for name, t in stored.items():
        base = name[: -len(".weight")]
        if base not in quant:
            out_tensors[name] = t
            dequantized[name] = t.float()
            continue
        q, scale, zero = quantize_rtn(t.double(), args.group_size, not args.asym)
        packed = pack_linear(q, scale, zero, args.group_size, v1, args.g_idx)
        unpack_check(packed, q, scale, zero, args.group_size, v1)
        for suffix, value in packed.items():
            out_tensors[f"{base}.{suffix}"] = value
        w = dequantize(q, scale, zero, args.group_size)
        assert torch.equal(w.float().double(), w), f"{name}: dequantized value not exact in float32"
        dequantized[name] = w.float()

    os.makedirs(args.out, exist_ok=True)
    config["quantization_config"] = quantization_config(args, kept, classifiers)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    for extra in ("generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        if os.path.exists(os.path.join(args.source, extra)):
            shutil.copyfile(os.path.join(args.source, extra), os.path.join(args.out, extra))
    # Two shards and an index, as multi-file exports are laid out.
    names = list(out_tensors)
    half = len(names) // 2
    shards = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
    weight_map = {}
    for shard, members in shards.items():
        save_safetensors({n: out_tensors[n] for n in members}, os.path.join(args.out, shard))
        weight_map.update({n: shard for n in members})
    total = sum(t.numel() * t.element_size() for t in out_tensors.values())
    with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
        f.write("\n")

    golden.export.load_checkpoint = make_loader(dequantized, cfg)
    doc = golden.write(args.out, prompt_groups(args.source, cfg.vocab_size, args.seed))
    for key, text in doc["tensors"].items():  # golden.write says "the tokenization of <text>"; these prompts are ids
        if key.startswith("prompt_p"):
            doc["tensors"][key] = text.replace("the tokenization of ", "the ids of ")
    doc["generator"] = "tools/gptq-fixture/make_fixture.py (PyTorch forward of tools/train-demo-model/demo/model.py)"
    doc["compute"] = ("float32 from the dequantized weights: w = scales[c/G, o] * (q[o, c] - zero[c/G, o]) for each packed "
                      "linear (exact in float32), the stored BF16 / F32 values elsewhere; full causal forward, no KV cache, batch 1")
    doc["quantization"] = {
        "source": os.path.basename(os.path.normpath(args.source)),
        "method": "round-to-nearest per (row, group); sym: scale = 2*max|w|/15, zero 8; asym: scale = (max(w,0) - min(w,0))/15, zero = round(-min/scale)",
        "bits": BITS,
        "group_size": args.group_size,
        "sym": not args.asym,
        "packing_format": args.packing,
        "stored_zero": "zero - 1 (GPTQ v1)" if v1 else "zero",
        "g_idx": args.g_idx,
        "rule": "a decoder-block or MTP linear is packed when in % group_size == 0 and out % 8 == 0; others stay BF16",
        "packed": quant,
        "kept": kept + classifiers,
    }
    with open(os.path.join(args.out, "golden.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"{args.out}: {len(quant)} packed linears, {len(kept)} kept, {total} bytes of tensors; "
          f"tolerances {doc['tolerances_fp32_engine']}")


if __name__ == "__main__":
    main()
