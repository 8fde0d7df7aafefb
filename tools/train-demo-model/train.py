#!/usr/bin/python3
"""Trains the bundled LongCat demo model end to end, deterministically (seeded), on the CPU.

    /usr/bin/python3 tools/train-demo-model/train.py --out models/longcat-demo

Stages: KJV text -> byte-level BPE tokenizer -> LongCat-Flash (ScMoE, MLA, zero experts, MTP head) training ->
export in the official checkpoint format -> held-out evaluation of the exported weights -> goldens for the SDK's
golden tests -> tokenizer and chat-template samples for the C# tests -> README report and loss curve.
See tools/train-demo-model/README.md.
"""
import argparse
import hashlib
import json
import math
import os
import random
import sys
import tempfile
import time

# Idle OpenMP threads sleep instead of spinning: on a shared 2-core machine spinning threads slow training several-fold.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo import bpe, chatdata, data, distill, draftvocab, evaluate, export, golden, kjv, report, samples, template  # noqa: E402
from demo.model import Config, LongCatFlash  # noqa: E402


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_args():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--out", default="models/longcat-demo", help="model folder to write")
    a.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "longcat-demo-work"),
                   help="scratch folder for the tokenizer and the trained state (default: TMP/longcat-demo-work)")
    a.add_argument("--seed", type=int, default=1234)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--steps", type=int, default=1500)
    a.add_argument("--batch", type=int, default=4)
    a.add_argument("--seq", type=int, default=512)
    a.add_argument("--lr", type=float, default=3e-3)
    a.add_argument("--warmup", type=int, default=60)
    a.add_argument("--mtp-weight", type=float, default=0.5, help="weight of the MTP loss (token t+2)")
    a.add_argument("--real-target", type=float, default=2 / 3,
                   help="target fraction of top-k slots routed to real experts (the rest go to identity experts)")
    a.add_argument("--bias-rate", type=float, default=0.2, help="u in the aux-loss-free bias update")
    a.add_argument("--mix", default="0.30,0.30,0.40", help="row proportions kjv,chat,tool")
    a.add_argument("--vocab", type=int, default=4096)
    a.add_argument("--hidden", type=int, default=256)
    a.add_argument("--layers", type=int, default=4)
    a.add_argument("--ffn", type=int, default=512)
    a.add_argument("--experts", type=int, default=8)
    a.add_argument("--expert-ffn", type=int, default=128)
    a.add_argument("--zero-experts", type=int, default=4)
    a.add_argument("--topk", type=int, default=3)
    a.add_argument("--tool-eval", type=int, default=100, help="held-out tool questions to evaluate")
    a.add_argument("--distill-steps", type=int, default=3000,
                   help="MTP head self-distillation steps after training (0: none); see demo/distill.py")
    a.add_argument("--distill-lr", type=float, default=1e-3)
    a.add_argument("--distill-batch", type=int, default=8)
    a.add_argument("--distill-seq", type=int, default=256)
    a.add_argument("--skip-train", action="store_true", help="reuse WORK/trained.pt and only export/evaluate")
    a.add_argument("--from-model", metavar="DIR",
                   help="take the tokenizer and the trained model from an exported model folder instead of training "
                        "(then distil its MTP head as it is, export, evaluate); loss.png is kept")
    a.add_argument("--quick", action="store_true", help="pipeline smoke test: tiny data and a few steps")
    return a.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    out = os.path.abspath(args.out)
    work = os.path.abspath(args.work)
    os.makedirs(out, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    t_start = time.time()

    verses = kjv.load_verses()
    train_v, held_v = kjv.split(verses)
    log(f"kjv: {len(verses)} verses; train {len(train_v)}, held out {len(held_v)} ({', '.join(kjv.HELD_OUT_BOOKS)})")

    tok_path = os.path.join(work, "tokenizer.json")
    if args.from_model:
        tok_path = os.path.join(os.path.abspath(args.from_model), "tokenizer.json")
    if (args.skip_train or args.from_model) and os.path.exists(tok_path):
        with open(tok_path, encoding="utf-8") as f:
            tok_doc = json.load(f)
    else:
        tok_doc = train_tokenizer(train_v, args)
        with open(tok_path, "w", encoding="utf-8") as f:
            json.dump(tok_doc, f, ensure_ascii=False)
    tok = bpe.Tokenizer(tok_doc)

    cfg = Config(vocab_size=len(tok), hidden_size=args.hidden, ffn_hidden_size=args.ffn,
                 expert_ffn_hidden_size=args.expert_ffn, num_layers=args.layers, n_routed_experts=args.experts,
                 zero_expert_num=args.zero_experts, moe_topk=args.topk)
    ckpt = os.path.join(work, "trained.pt")
    if args.from_model:
        src = os.path.abspath(args.from_model)
        model = export.load_checkpoint(src, torch.float32)
        cfg = model.cfg
        src_metrics = {}
        if os.path.exists(os.path.join(src, "metrics.json")):        # an export whose run stopped before its report has none
            with open(os.path.join(src, "metrics.json")) as f:
                src_metrics = json.load(f)
        history = {"train_seconds": src_metrics.get("train_seconds")}
        if args.distill_steps == 0 and "distill" in src_metrics:
            # The source's head was distilled already: keep that record in the report.
            history["distill"] = {k: src_metrics[k] for k in ("distill", "mtp_accept_greedy_before_distill")}
    elif args.skip_train:
        state = torch.load(ckpt)
        model = LongCatFlash(Config(**state["config"]))
        model.load_state_dict(state["model"])
        history = state["history"]
    else:
        model, history = train(cfg, tok, train_v, held_v, args)
        torch.save({"config": cfg.to_dict(), "model": model.state_dict(), "history": history, "args": vars(args)}, ckpt)

    log("export")
    export.write_model_files(model, tok_doc, out)
    shipped = export.load_checkpoint(out, torch.float32)
    before = None
    if args.distill_steps > 0:
        # Distilled from the stored (BF16) weights, so a run from --from-model of the same export gives the same head.
        log(f"model.safetensors before distillation: sha256 {sha256(os.path.join(out, 'model.safetensors'))[:16]}")
        before = evaluate.mtp_acceptance_on_greedy(shipped, tok, acceptance_starts(held_v, args.quick), 16 if args.quick else 48)
        log(f"MTP greedy acceptance before distillation {before:.4f}")
        dh = distill_head(shipped, tok, train_v, args)
        export.write_model_files(shipped, tok_doc, out)
        shipped = export.load_checkpoint(out, torch.float32)
    log("draft vocabulary")
    metrics_vocab = draft_vocab_stage(out, tok, train_v, args.seed, args.mix, args.quick)
    log(f"draft vocabulary {metrics_vocab}")
    metrics = measure(shipped, tok, held_v, args)
    metrics["train_seconds"] = history.get("train_seconds")
    metrics["draft_vocab"] = metrics_vocab
    if "distill" in history:
        metrics.update(history["distill"])
    if before is not None:
        metrics["mtp_accept_greedy_before_distill"] = before
        metrics["distill"] = {"steps": dh["steps"], "batch": dh["batch"], "seq": dh["seq"], "lr": args.distill_lr, "seconds": dh["seconds"], "kl_first": dh["kl"][0], "kl_last": dh["kl"][-1]}
    log(json.dumps({k: v for k, v in metrics.items() if k not in ("samples", "tool", "real_expert_load")}))

    log("goldens")
    gdoc = golden.write(out, golden_prompts(tok))
    log(f"golden tolerances {gdoc['tolerances_fp32_engine']}")

    samples.write_tokenizer_samples(tok, os.path.join(out, "tokenizer_samples.json"))
    samples.write_template_samples(os.path.join(out, "template_samples.json"))
    report.write(out, cfg, args, history, metrics, gdoc)
    log(f"done in {time.time() - t_start:.0f} s")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def acceptance_starts(held_v, quick):
    """Prompts of the greedy acceptance measure: the first four words of evenly spaced held-out verses."""
    return [" ".join(v.text.split(" ")[:4]) for v in held_v[:: max(1, len(held_v) // (4 if quick else 24))]]


def distill_head(model, tok, train_v, args):
    """MTP head self-distillation (demo/distill.py) on the training mixture, drawn with its own seed."""
    steps, B, T = args.distill_steps, args.distill_batch, args.distill_seq
    if args.quick:
        steps, B, T = min(steps, 10), 2, 96
    torch.manual_seed(args.seed + 5)
    mix = data.Mixture(tok, train_v, args.seed + 5, *((400, 300, 30) if args.quick else (12000, 6000, 600)), progress=log)
    return distill.distill_mtp(model, mix, [float(x) for x in args.mix.split(",")], steps, B, T, args.distill_lr, 20, log)


def draft_vocab_stage(out, tok, train_v, seed, mix, quick):
    """mtp_draft_vocab.json (demo/draftvocab.py) from the training mixture, drawn with its own seed."""
    m = data.Mixture(tok, train_v, seed + 6, *((400, 300, 30) if quick else (12000, 6000, 600)), progress=log)
    return draftvocab.write(out, m, [float(x) for x in mix.split(",")], len(tok), rows=80 if quick else 2000)


def train_tokenizer(train_v, args):
    log("tokenizer: training byte-level BPE")
    rng = random.Random(args.seed + 7)
    idx = chatdata.word_index(train_v)
    texts = [v.text + "\n" for v in train_v]
    n_chat = 300 if args.quick else 3000
    texts += [template.render(*chatdata.chat_conversation(rng, train_v, idx), add_generation_prompt=False) for _ in range(n_chat)]
    texts += [template.render(*chatdata.tool_conversation(rng, chatdata.TRAIN_CITIES), add_generation_prompt=False) for _ in range(n_chat)]
    added = export.SPECIAL_TOKENS + export.EXTRA_TOKENS
    vocab, merges = bpe.train_bpe(texts, args.vocab, added, progress=log)
    log(f"tokenizer: vocab {len(vocab)}, merges {len(merges)}")
    return bpe.tokenizer_json(vocab, merges, added, {t: t in export.SPECIAL_TOKENS for t in added})


def lr_at(step, args):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    p = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def masked_ce(head, h, target, mask):
    """Cross-entropy of head(h) over the trained positions only (the head is the costliest matmul; most chat
    positions are prompt)."""
    sel = mask.reshape(-1) > 0
    logits = head(h.reshape(-1, h.shape[-1])[sel])
    return F.cross_entropy(logits, target.reshape(-1)[sel])


def update_expert_bias(model, real_target):
    """Auxiliary-loss-free balancing (LongCat-Flash report, computational budget control; DeepSeek-V3's bias update):
    for each real expert i, b_i += u * (real_target / N - load_i), load_i = slots routed to i / all slots; the identity
    experts' biases stay 0. Each real expert is pulled to an equal share, and together they converge to real_target of
    the top-k slots."""
    for moe in model.moe_layers():
        counts = moe.last_counts.float()
        load = counts / counts.sum()
        N = moe.cfg.n_routed_experts
        delta = torch.zeros_like(load)
        delta[:N] = moe.bias_rate * (real_target / N - load[:N])
        moe.e_score_correction_bias += delta


def train_step(model, opt, cfg, ids, mask, T, args):
    """One optimizer step on a batch (main and MTP losses, clipped gradients, the expert-bias update):
    returns the main loss, the MTP loss and the fraction of routing slots that went to identity experts."""
    h = model(ids[:, :T], logits=False)
    loss_main = masked_ce(model.lm_head, h, ids[:, 1:T + 1], mask[:, 1:T + 1])
    hd = model.mtp_forward(ids[:, 1:T + 1], h, logits=False)
    loss_mtp = masked_ce(model.lm_head, hd, ids[:, 2:T + 2], mask[:, 2:T + 2])
    loss = loss_main + args.mtp_weight * loss_mtp
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    with torch.no_grad():
        update_expert_bias(model, args.real_target)
        idf = sum(float(m.last_counts[cfg.n_routed_experts:].sum() / m.last_counts.sum()) for m in model.moe_layers()) / cfg.num_layers
    return loss_main.item(), loss_mtp.item(), idf


def record_step(acc, hist, step, args, t0, c0, loss, mtp, idf):
    """Adds a step's losses to acc; every 10 steps (and at the last) appends their means to hist, logs them and returns a
    fresh acc."""
    acc["loss"] += loss
    acc["mtp"] += mtp
    acc["id"] += idf
    acc["n"] += 1
    if (step + 1) % 10 != 0 and step + 1 != args.steps:
        return acc
    n = acc["n"]
    hist["step"].append(step + 1)
    hist["loss"].append(acc["loss"] / n)
    hist["mtp_loss"].append(acc["mtp"] / n)
    hist["identity_fraction"].append(acc["id"] / n)
    el = time.time() - t0
    log(f"step {step + 1}/{args.steps} loss {acc['loss'] / n:.3f} mtp {acc['mtp'] / n:.3f} identity {acc['id'] / n:.3f} "
        f"lr {lr_at(step, args):.2e} {el / (step + 1):.2f} s/step (cpu {(time.process_time() - c0) / (step + 1):.2f} s) "
        f"eta {el / (step + 1) * (args.steps - step - 1) / 60:.1f} min")
    return {"loss": 0.0, "mtp": 0.0, "id": 0.0, "n": 0}


def train(cfg, tok, train_v, held_v, args):
    B, T = args.batch, args.seq
    if args.quick:
        args.steps, B, T = min(args.steps, 20), 4, 96
    log(f"data: building the mixture")
    mix = data.Mixture(tok, train_v, args.seed, *((400, 300, 30) if args.quick else (12000, 6000, 600)), progress=log)
    heldout = data.eval_rows(tok, held_v, T, 8 if args.quick else 24, args.seed + 99)
    model = LongCatFlash(cfg)
    for moe in model.moe_layers():
        moe.bias_rate = args.bias_rate
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {n_params / 1e6:.2f} M parameters (main + MTP; the exported MTP embedding copy adds "
        f"{cfg.vocab_size * cfg.hidden_size / 1e6:.2f} M)")
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    mix_p = [float(x) for x in args.mix.split(",")]
    hist = {"step": [], "loss": [], "mtp_loss": [], "identity_fraction": [], "eval_step": [], "eval_loss": [], "eval_mtp_loss": []}
    t0, c0 = time.time(), time.process_time()
    acc = {"loss": 0.0, "mtp": 0.0, "id": 0.0, "n": 0}
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args)
        ids, mask = mix.batch(B, T, mix_p)
        acc = record_step(acc, hist, step, args, t0, c0, *train_step(model, opt, cfg, ids, mask, T, args))
        if (step + 1) % 100 == 0 or step + 1 == args.steps:
            model.eval()
            m = evaluate.heldout_metrics(model, heldout)
            model.train()
            hist["eval_step"].append(step + 1)
            hist["eval_loss"].append(m["loss"])
            hist["eval_mtp_loss"].append(m["mtp_loss"])
            log(f"held-out loss {m['loss']:.3f} mtp {m['mtp_loss']:.3f} mtp acc {m['mtp_acc']:.3f} agree {m['mtp_agree']:.3f} "
                f"identity {m['identity_slot_fraction']:.3f}")
    hist["train_seconds"] = time.time() - t0
    hist["train_cpu_seconds"] = time.process_time() - c0
    model.eval()
    return model, hist


def measure(model, tok, held_v, args):
    quick = args.quick
    rows = data.eval_rows(tok, held_v, 256, 8 if quick else 64, args.seed + 1000)
    log("eval: held-out text")
    m = evaluate.heldout_metrics(model, rows)
    log("eval: MTP acceptance on greedy output")
    m["mtp_accept_greedy"] = evaluate.mtp_acceptance_on_greedy(model, tok, acceptance_starts(held_v, quick), 16 if quick else 48)
    log("eval: tool questions")
    m["tool"] = evaluate.tool_eval(model, tok, 4 if quick else args.tool_eval, args.seed + 2000)
    log("eval: tool questions, Semantic Kernel-style tool set")
    m["tool_sk"] = evaluate.tool_eval(model, tok, 4 if quick else args.tool_eval // 2, args.seed + 3000, chatdata.sk_style_tools())
    log("eval: samples")
    m["samples"] = report.sample_generations(model, tok, quick)
    return m


def golden_prompts(tok):
    """Candidates (text, ids) for the three golden prompts, in order of preference: a short plain text (its router
    choices and residual stream are exported too), a chat turn, a longer passage. golden.pick_prompts keeps the first
    of each whose greedy margins and routing gaps leave no doubt in float32."""
    chat = lambda q: template.render([{"role": "user", "content": q}])
    groups = [
        ["In the beginning God", "And God said, Let there be", "The LORD is my shepherd;", "And the LORD spake unto Moses,",
         "Blessed are the", "In the beginning was the Word,"],
        [chat("Continue: For God so loved the world"), chat("Continue: In the beginning God"),
         chat("Give me a verse about light."), chat("Continue: The LORD is my shepherd;"), chat("Who are you?")],
        ["And it came to pass, when the king heard the words of the book of the law, that he rent his clothes. "
         "And the king commanded Hilkiah the priest,",
         "Then the word of the LORD came unto me, saying, Son of man, set thy face toward Jerusalem, and drop thy "
         "word toward the holy places,",
         "And Jesus answering said unto them, Go your way, and tell John what things ye have seen and heard; how that",
         "Now the serpent was more subtil than any beast of the field which the LORD God had made. And he said unto"],
    ]
    return [[(t, tok.encode(t)) for t in g] for g in groups]


if __name__ == "__main__":
    main()
