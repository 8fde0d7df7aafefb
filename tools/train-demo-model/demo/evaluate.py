"""Measurements for the report: held-out loss, MTP accuracy and acceptance, identity-expert fraction, tool calls, samples."""
import json
import random
import re

import torch
import torch.nn.functional as F

from . import chatdata, template

EOS_ID = 2


@torch.no_grad()
def heldout_metrics(model, rows):
    """rows: [N, T+2] held-out plain text. Main loss (nats/token), MTP loss and top-1 accuracy (token t+2),
    MTP agreement with the main model's own argmax, main top-1 accuracy, and the identity-expert fractions."""
    cfg = model.cfg
    tot = {"loss": 0.0, "mtp_loss": 0.0, "mtp_acc": 0.0, "acc": 0.0, "n": 0}
    agree = agree_n = 0
    slots = torch.zeros(cfg.n_routed_experts + cfg.zero_expert_num, dtype=torch.long)
    tokens_with_identity = tokens_only_identity = 0
    for i in range(0, rows.shape[0], 8):
        ids = rows[i:i + 8]
        T = ids.shape[1] - 2
        h, logits = model(ids[:, :T])
        d = model.mtp_forward(ids[:, 1:T + 1], h)
        tgt, tgt2 = ids[:, 1:T + 1], ids[:, 2:T + 2]
        n = tgt.numel()
        tot["loss"] += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), reduction="sum").item()
        tot["mtp_loss"] += F.cross_entropy(d.reshape(-1, d.shape[-1]), tgt2.reshape(-1), reduction="sum").item()
        tot["acc"] += (logits.argmax(-1) == tgt).sum().item()
        tot["mtp_acc"] += (d.argmax(-1) == tgt2).sum().item()
        # Greedy speculation accepts the draft for t+2 when it equals the target's argmax at t+1.
        agree += (d[:, :-1].argmax(-1) == logits[:, 1:].argmax(-1)).sum().item()
        agree_n += d[:, :-1].argmax(-1).numel()
        tot["n"] += n
        for moe in model.moe_layers():
            slots += moe.last_counts
            is_id = moe.last_idx >= cfg.n_routed_experts
            tokens_with_identity += is_id.any(-1).sum().item()
            tokens_only_identity += is_id.all(-1).sum().item()
    n = tot.pop("n")
    out = {k: v / n for k, v in tot.items()}
    out["mtp_agree"] = agree / agree_n
    decisions = n * cfg.num_layers
    out["identity_slot_fraction"] = slots[cfg.n_routed_experts:].sum().item() / slots.sum().item()
    out["tokens_with_identity_fraction"] = tokens_with_identity / decisions
    out["tokens_only_identity_fraction"] = tokens_only_identity / decisions
    out["real_expert_load"] = (slots[:cfg.n_routed_experts].float() / slots.sum()).tolist()
    return out


@torch.no_grad()
def generate(model, ids, max_new, stop=(EOS_ID,), temperature=0.0, rng=None):
    """Greedy (or sampled) continuation with a KV cache. Returns the new token ids."""
    cache = {}
    x = torch.tensor([ids], dtype=torch.long)
    out = []
    for _ in range(max_new):
        _, logits = model(x, cache=cache)
        last = logits[0, -1]
        if temperature > 0:
            p = torch.softmax(last / temperature, -1)
            nxt = int(torch.multinomial(p, 1, generator=rng).item())
        else:
            nxt = int(last.argmax().item())
        out.append(nxt)
        if nxt in stop:
            break
        x = torch.tensor([[nxt]], dtype=torch.long)
    return out


@torch.no_grad()
def mtp_acceptance_on_greedy(model, tok, prompts, n_new=48):
    """Greedy k=1 speculation acceptance on the model's own output: the fraction of positions where the MTP draft for
    t+2 (from hidden t and token t+1) equals the greedy token at t+2."""
    acc = tot = 0
    for p in prompts:
        ids = tok.encode(p)
        gen = generate(model, ids, n_new, stop=())
        seq = torch.tensor([ids + gen], dtype=torch.long)
        T = seq.shape[1]
        h, _ = model(seq[:, :T - 1])
        d = model.mtp_forward(seq[:, 1:T], h)          # row t predicts t+2
        first = len(ids) - 1                            # drafts made while decoding: rows t >= len(prompt) - 1
        draft = d[0, first:T - 2].argmax(-1)
        target = seq[0, first + 2:T]
        acc += (draft == target).sum().item()
        tot += target.numel()
    return acc / max(tot, 1)


TOOL_CALL_RE = re.compile(r"<longcat_tool_call>\n(.*?)\n</longcat_tool_call>", re.S)


def parse_tool_call(text):
    """(name, arguments) of the first well-formed tool call in text, or None."""
    m = TOOL_CALL_RE.search(text)
    if not m:
        return None
    try:
        obj = json.loads(m.group(1))
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str) or not isinstance(obj.get("arguments"), dict):
        return None
    return obj["name"], obj["arguments"]


@torch.no_grad()
def tool_eval(model, tok, n, seed, fixed=None):
    """Held-out tool questions (held-out cities, fresh numbers): greedy first assistant turn; counts parseable calls,
    calls of the right tool with the right arguments, and correct final answers given the tool result.
    fixed: advertise exactly these tools (chatdata.sk_style_tools()) instead of random ones."""
    rng = random.Random(seed)
    parseable = correct = answered = right_tool = 0
    examples = []
    for i in range(n):
        msgs, tools = chatdata.tool_conversation(rng, chatdata.HELD_OUT_CITIES, with_answer=True, fixed=fixed)
        user_part = msgs[:-3]
        expected_call = msgs[-3]["tool_calls"][0]
        prompt = template.render(user_part, tools)
        out = tok.decode(generate(model, tok.encode(prompt), 64))
        call = parse_tool_call(out)
        ok = call is not None
        right = ok and call[0] == expected_call["name"] and call[1] == expected_call["arguments"]
        parseable += ok
        correct += right
        right_tool += ok and call[0] == expected_call["name"]
        # Second turn: the tool result given, is the final text answer the expected one?
        prompt2 = template.render(msgs[:-1], tools)
        out2 = tok.decode(generate(model, tok.encode(prompt2), 40))
        answer_ok = msgs[-1]["content"] + "</longcat_s>" == out2 or _answer_has_value(out2, msgs[-2]["content"])
        answered += answer_ok
        if i < 6:
            examples.append({"question": user_part[-1]["content"], "tools": [t["name"] for t in tools],
                             "output": out, "expected": template.render_tool_call(expected_call),
                             "tool_result": msgs[-2]["content"], "answer": out2})
    return {"n": n, "right_tool_fraction": right_tool / n, "parseable_fraction": parseable / n, "correct_call_fraction": correct / n,
            "answer_with_result_fraction": answered / n, "examples": examples}


def _answer_has_value(out, result):
    try:
        v = json.loads(result)
        v = str(v.get("result", v.get("time"))) if isinstance(v, dict) else str(v)
    except json.JSONDecodeError:
        v = result
    return v in out and out.endswith("</longcat_s>")
