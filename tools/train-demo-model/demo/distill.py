"""Self-distillation of the MTP head: the main model frozen, the head trained to match the main model's own distribution
for token t+2.

The joint training fits the head to the data's token t+2; speculative decoding accepts a draft when it equals what the
main model would emit. Training the head on the main model's distribution (KL to softmax(main logits at t+1), the
next-token distribution given the true token t+1) aims it at exactly that: the usual way draft heads are trained.
"""
import math
import time

import torch
import torch.nn.functional as F


def distill_mtp(model, mix, mix_p, steps, batch, seq, lr, warmup, log):
    """Trains model.mtp.* in place (every other weight, the head's embedding copy included, stays as it is); returns
    the history of the KL loss."""
    for n, p in model.named_parameters():
        p.requires_grad_(n.startswith("mtp."))
    params = [p for n, p in model.named_parameters() if n.startswith("mtp.")]
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)
    model.eval()                                   # no dropout anywhere; eval keeps the router's statistics untouched
    H = model.cfg.hidden_size
    hist = {"step": [], "kl": [], "steps": steps, "batch": batch, "seq": seq}
    t0, acc, n_acc = time.time(), 0.0, 0
    for step in range(steps):
        p = (step - warmup) / max(1, steps - warmup)
        for g in opt.param_groups:
            g["lr"] = lr * (step + 1) / warmup if step < warmup else lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))
        ids, mask = mix.batch(batch, seq, mix_p)
        sel = mask[:, 2:seq + 2].reshape(-1) > 0
        while not sel.any():                       # a short row of conversations may train no position: draw again
            ids, mask = mix.batch(batch, seq, mix_p)
            sel = mask[:, 2:seq + 2].reshape(-1) > 0
        with torch.no_grad():
            h = model(ids[:, :seq + 1], logits=False)                      # final-normed hidden, positions 0..T
            teacher = F.log_softmax(model.lm_head(h[:, 1:seq + 1].reshape(-1, H)[sel]), -1)   # p(token t+2 | ..t+1)
        hd = model.mtp_forward(ids[:, 1:seq + 1], h[:, :seq], logits=False)  # head at t: token t+1, hidden t
        student = F.log_softmax(model.lm_head(hd.reshape(-1, H)[sel]), -1)
        loss = F.kl_div(student, teacher, log_target=True, reduction="batchmean")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        acc += loss.item()
        n_acc += 1
        if (step + 1) % 10 == 0 or step + 1 == steps:
            hist["step"].append(step + 1)
            hist["kl"].append(acc / n_acc)
            el = time.time() - t0
            log(f"distill {step + 1}/{steps} kl {acc / n_acc:.4f} {el / (step + 1):.2f} s/step eta {el / (step + 1) * (steps - step - 1) / 60:.1f} min")
            acc, n_acc = 0.0, 0
    for p in model.parameters():
        p.requires_grad_(False)
    hist["seconds"] = time.time() - t0
    return hist
