#!/usr/bin/python3
"""Fine-tunes models/longcat-demo into models/longcat-thinking-demo: the same LongCat-Flash model (and BPE), its
tokenizer extended with the LongCat-Flash-Thinking-2601 tokens, trained on conversations in the 2601 format (reasoning
between <longcat_think> and </longcat_think>, XML tool calls, Heavy Thinking summaries), deterministically (seeded), on the CPU.

    /usr/bin/python3 tools/train-demo-model/train_thinking.py --out models/longcat-thinking-demo

Stages: tokenizer extension (12 added tokens, ids 4096-4107) -> model extension (new embedding and lm_head rows: the
mean row plus seeded noise) -> fine-tuning (joint MTP loss, expert-bias update, as train.py) -> optional MTP
self-distillation -> export -> evaluation of the exported weights (greedy) -> samples, goldens, README.
See tools/train-demo-model/README.md.
"""
import argparse
import copy
import hashlib
import json
import os
import random
import sys
import tempfile
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import train as base  # noqa: E402  (train.py: lr schedule, masked loss, expert-bias update)
from demo import bpe, distill, draftvocab, export, golden, kjv, safetensors_io, thinkdata, thinkeval, thinkreport  # noqa: E402
from demo import thinktemplate as T  # noqa: E402
from demo.model import Config, LongCatFlash  # noqa: E402

log = base.log


def parse_args():
    root = os.path.dirname(os.path.dirname(HERE))
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--out", default="models/longcat-thinking-demo", help="model folder to write")
    a.add_argument("--from-model", default=os.path.join(root, "models", "longcat-demo"),
                   help="the exported model to start from (default: models/longcat-demo)")
    a.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "longcat-thinking-work"),
                   help="scratch folder for the fine-tuned state (default: TMP/longcat-thinking-work)")
    a.add_argument("--seed", type=int, default=2601)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--steps", type=int, default=600)
    a.add_argument("--batch", type=int, default=4)
    a.add_argument("--seq", type=int, default=512)
    a.add_argument("--lr", type=float, default=1e-3)
    a.add_argument("--warmup", type=int, default=40)
    a.add_argument("--mtp-weight", type=float, default=0.5)
    a.add_argument("--real-target", type=float, default=2 / 3)
    a.add_argument("--bias-rate", type=float, default=0.2)
    a.add_argument("--mix", default="0.15,0.35,0.40,0.10", help="row proportions kjv,chat,tool,summary")
    a.add_argument("--thinking", type=float, default=0.8, help="share of conversations rendered with enable_thinking")
    a.add_argument("--stage2-steps", type=int, default=500,
                   help="second stage, from the first one's weights: balanced tool kinds, more small talk and SDK questions (0: none)")
    a.add_argument("--stage2-lr", type=float, default=1e-3)
    a.add_argument("--stage2-warmup", type=int, default=20)
    a.add_argument("--stage2-mix", default="0.06,0.40,0.44,0.10", help="stage 2 row proportions kjv,chat,tool,summary")
    a.add_argument("--stage2-thinking", type=float, default=0.85)
    a.add_argument("--noise", type=float, default=0.02, help="std of the seeded noise added to the new rows (x the rows' std)")
    a.add_argument("--distill-steps", type=int, default=0, help="MTP head self-distillation steps after training (0: none)")
    a.add_argument("--distill-lr", type=float, default=1e-3)
    a.add_argument("--distill-batch", type=int, default=8)
    a.add_argument("--distill-seq", type=int, default=256)
    a.add_argument("--eval-n", type=int, default=60, help="held-out prompts per evaluation kind")
    a.add_argument("--golden", type=int, default=1, help="golden prompts to export (0: no golden.safetensors)")
    a.add_argument("--skip-train", action="store_true", help="reuse the final WORK/trained*.pt and only export/evaluate")
    a.add_argument("--resume-stage1", action="store_true",
                   help="take stage 1's weights from WORK/trained.pt (written by an earlier run) and run stage 2 only")
    a.add_argument("--quick", action="store_true", help="pipeline smoke test: tiny data and a few steps")
    return a.parse_args()


# ------------------------------------------------------------------------------------------------ tokenizer, model

def extend_tokenizer(doc):
    """The demo's tokenizer.json with the thinking tokens appended as added tokens (ids 4096..4107, Hugging Face's
    rule: a content not in model.vocab gets the next id after the vocabulary)."""
    doc = copy.deepcopy(doc)
    have = {t["content"] for t in doc["added_tokens"]}
    next_id = len(doc["model"]["vocab"])
    for content, special in T.THINK_TOKENS:
        if content in have:
            raise ValueError(f"{content} is already an added token")
        doc["added_tokens"].append({"id": next_id, "content": content, "single_word": False, "lstrip": False,
                                    "rstrip": False, "normalized": False, "special": special})
        next_id += 1
    return doc


def extend_model(src, vocab_size, seed, noise):
    """A LongCatFlash of `vocab_size` with src's weights; new embedding and lm_head rows = the mean of the old rows plus
    seeded Gaussian noise (noise x the rows' std). The MTP head shares the main embedding while training (train.py)."""
    cfg = Config(**{**src.cfg.to_dict(), "vocab_size": vocab_size})
    model = LongCatFlash(cfg)
    sd = src.state_dict()
    sd.pop("mtp_embed.weight", None)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name in ("embed_tokens.weight", "lm_head.weight"):
            old = sd[name]
            n_new = vocab_size - old.shape[0]
            new = old.mean(0, keepdim=True) + noise * old.std() * torch.randn(n_new, old.shape[1], generator=g)
            sd[name] = torch.cat([old, new], 0)
        missing, unexpected = model.load_state_dict(sd, strict=False)
    if missing or unexpected:
        raise ValueError(f"state mismatch: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return model


# ------------------------------------------------------------------------------------------------------- training

def mix_sizes(quick):
    return dict(n_chat=300, n_tool=300, n_summary=60) if quick else dict(n_chat=9000, n_tool=8000, n_summary=1500)


def stages(args):
    """The two fine-tuning stages' settings (fresh AdamW each; stage 2 starts from stage 1's weights)."""
    quick = args.quick
    s1 = argparse.Namespace(name="stage 1", steps=min(args.steps, 12) if quick else args.steps, lr=args.lr, warmup=args.warmup,
                            seed=args.seed, mix=args.mix, thinking=args.thinking, profile=thinkdata.STAGE1)
    s2 = argparse.Namespace(name="stage 2", steps=min(args.stage2_steps, 6) if quick else args.stage2_steps, lr=args.stage2_lr,
                            warmup=args.stage2_warmup, seed=args.seed + 50, mix=args.stage2_mix, thinking=args.stage2_thinking,
                            profile=thinkdata.STAGE2)
    return s1, s2


def train(model, tok, train_v, held_v, args, st):
    B, T_ = args.batch, args.seq
    if args.quick:
        B, T_ = 2, 512
    log(f"{st.name}: building the mixture")
    mix = thinkdata.ThinkMixture(tok, train_v, st.seed, p_thinking=st.thinking, progress=log, profile=st.profile, **mix_sizes(args.quick))
    rt = mix.stats["reasoning_tokens"]
    log(f"data: reasoning tokens (thinking chat) min {min(rt)} mean {sum(rt) / len(rt):.1f} max {max(rt)}; "
        f"<= 16: {sum(1 for x in rt if x <= 16)} of {len(rt)}")
    heldout = base.data.eval_rows(tok, held_v, T_, 8 if args.quick else 24, args.seed + 99)
    args = argparse.Namespace(**{**vars(args), "steps": st.steps, "lr": st.lr, "warmup": st.warmup, "mix": st.mix})
    cfg = model.cfg
    for moe in model.moe_layers():
        moe.bias_rate = args.bias_rate
    model.train()
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    mix_p = [float(x) for x in args.mix.split(",")]
    hist = {"step": [], "loss": [], "mtp_loss": [], "identity_fraction": [], "eval_step": [], "eval_loss": [], "eval_mtp_loss": [],
            "reasoning_tokens": {"min": min(rt), "mean": sum(rt) / len(rt), "max": max(rt),
                                 "le16": sum(1 for x in rt if x <= 16), "n": len(rt)}}
    t0, c0 = time.time(), time.process_time()
    acc = {"loss": 0.0, "mtp": 0.0, "id": 0.0, "n": 0}
    # The trained model's sharp attention makes denormal probabilities, which cost the CPU about twice the time: flushed
    # to zero while training (export, evaluation and goldens run with the default, exact arithmetic).
    torch.set_flush_denormal(True)
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = base.lr_at(step, args)
        ids, mask = mix.batch(B, T_, mix_p)
        acc = base.record_step(acc, hist, step, args, t0, c0, *base.train_step(model, opt, cfg, ids, mask, T_, args))
        if (step + 1) % 100 == 0 or step + 1 == args.steps:
            model.eval()
            m = base.evaluate.heldout_metrics(model, heldout)
            model.train()
            hist["eval_step"].append(step + 1)
            hist["eval_loss"].append(m["loss"])
            hist["eval_mtp_loss"].append(m["mtp_loss"])
            log(f"held-out KJV loss {m['loss']:.3f} mtp {m['mtp_loss']:.3f} identity {m['identity_slot_fraction']:.3f}")
    torch.set_flush_denormal(False)
    hist["train_seconds"] = time.time() - t0
    hist["train_cpu_seconds"] = time.process_time() - c0
    model.eval()
    return model, hist, mix


# --------------------------------------------------------------------------------------------------------- export

def write_model_files(model, tok_doc, out):
    """config.json, model.safetensors (the demo's conventions: BF16, router F32), generation_config.json (Thinking's
    sampling, LONGCAT-THINKING.md section 9), tokenizer.json, tokenizer_config.json (the 2601 template)."""
    export.write_model_files(model, tok_doc, out)          # then overwrite the two files that differ from the demo's
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 3, "do_sample": True,
                   "temperature": 1.0, "top_p": 0.95, "max_new_tokens": 512}, f, indent=2)
        f.write("\n")
    cfg = export.tokenizer_config(tok_doc)
    cfg["chat_template"] = T.JINJA_TEMPLATE
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=2)
        f.write("\n")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    out, work = os.path.abspath(args.out), os.path.abspath(args.work)
    os.makedirs(out, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    t_start = time.time()

    verses = kjv.load_verses()
    train_v, held_v = kjv.split(verses)
    log(f"kjv: {len(verses)} verses; train {len(train_v)}, held out {len(held_v)}")
    src = os.path.abspath(args.from_model)
    with open(os.path.join(src, "tokenizer.json"), encoding="utf-8") as f:
        tok_doc = extend_tokenizer(json.load(f))
    tok = bpe.Tokenizer(tok_doc)
    log(f"tokenizer: {len(tok)} ids ({', '.join(f'{c}={tok.token_id(c)}' for c, _ in T.THINK_TOKENS)})")
    log(f"source model.safetensors sha256 {sha256(os.path.join(src, 'model.safetensors'))[:16]}")

    s1, s2 = stages(args)
    ckpt1, ckpt2 = os.path.join(work, "trained.pt"), os.path.join(work, "trained-stage2.pt")

    def load(path):
        state = torch.load(path)
        m = LongCatFlash(Config(**state["config"]))
        m.load_state_dict(state["model"])
        return m.eval(), state["history"]

    def save(path, m, h):
        torch.save({"config": m.cfg.to_dict(), "model": m.state_dict(), "history": h, "args": vars(args)}, path)

    if args.skip_train:
        model, history = load(ckpt2 if s2.steps > 0 else ckpt1)
    else:
        if args.resume_stage1:
            model, history = load(ckpt1)
            log(f"stage 1 weights from {ckpt1}")
        else:
            model = extend_model(export.load_checkpoint(src, torch.float32), len(tok), args.seed + 11, args.noise)
            model, history, _ = train(model, tok, train_v, held_v, args, s1)
            save(ckpt1, model, history)
        if s2.steps > 0:
            model, h2, _ = train(model, tok, train_v, held_v, args, s2)
            history["stage2"] = h2
            save(ckpt2, model, history)

    log("export")
    write_model_files(model, tok_doc, out)
    log(f"model.safetensors sha256 {sha256(os.path.join(out, 'model.safetensors'))[:16]}")
    shipped = export.load_checkpoint(out, torch.float32)
    last = s2 if s2.steps > 0 else s1
    mix_p = [float(x) for x in last.mix.split(",")]

    def fresh_mix(seed):
        return thinkdata.ThinkMixture(tok, train_v, seed, p_thinking=last.thinking, progress=log, profile=last.profile,
                                      **mix_sizes(args.quick))

    if args.distill_steps > 0:
        steps, Bd, Td = (min(args.distill_steps, 10), 2, 96) if args.quick else (args.distill_steps, args.distill_batch, args.distill_seq)
        torch.manual_seed(args.seed + 5)
        mix = fresh_mix(args.seed + 5)
        torch.set_flush_denormal(True)
        dh = distill.distill_mtp(shipped, mix, mix_p, steps, Bd, Td, args.distill_lr, 20, log)
        torch.set_flush_denormal(False)
        history["distill"] = {"steps": steps, "batch": Bd, "seq": Td, "lr": args.distill_lr, "seconds": dh["seconds"],
                              "kl_first": dh["kl"][0], "kl_last": dh["kl"][-1]}
        write_model_files(shipped, tok_doc, out)
        log(f"model.safetensors after distillation sha256 {sha256(os.path.join(out, 'model.safetensors'))[:16]}")
        shipped = export.load_checkpoint(out, torch.float32)
    mix = fresh_mix(args.seed + 6)
    log("draft vocabulary")
    dv = draftvocab.write(out, mix, mix_p, len(tok), rows=80 if args.quick else 2000)
    log(f"draft vocabulary {dv}")

    log("evaluation (greedy, exported weights)")
    thinkdata.set_verses(held_v)
    metrics = thinkeval.evaluate_all(shipped, tok, held_v, args.seed + 1000, 4 if args.quick else args.eval_n, log)
    metrics["heldout_kjv"] = {k: v for k, v in base.evaluate.heldout_metrics(
        shipped, base.data.eval_rows(tok, held_v, 256, 8 if args.quick else 64, args.seed + 1000)).items() if k != "real_expert_load"}
    metrics["mtp_accept_greedy"] = thinkeval.mtp_acceptance_on_thinking(shipped, tok, held_v, 4 if args.quick else 16)
    metrics["train_seconds"] = history.get("train_seconds", 0) + history.get("stage2", {}).get("train_seconds", 0)
    metrics["stage_seconds"] = [history.get("train_seconds"), history.get("stage2", {}).get("train_seconds")]
    metrics["train_reasoning_tokens"] = history.get("reasoning_tokens")
    metrics["draft_vocab"] = dv
    if "distill" in history:
        metrics["distill"] = history["distill"]
    log(json.dumps(thinkeval.summary(metrics)))

    gdoc = None
    if args.golden > 0:
        log("goldens")
        gdoc = golden.write(out, thinkreport.golden_prompts(tok)[:args.golden])
    thinkreport.write_samples(out, tok)
    thinkreport.write(out, model.cfg, args, history, metrics, gdoc, tok)
    log(f"done in {time.time() - t_start:.0f} s; folder {thinkreport.folder_size(out) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
