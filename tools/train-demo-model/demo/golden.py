"""Golden outputs for the SDK's golden tests, in the layout of tests/fixtures/tiny-a (golden.safetensors + golden.json),
computed by this PyTorch forward in float32 from the exported (BF16-rounded) weights; float64 is run alongside to size
the tolerances."""
import json
import math
import os

import torch

from . import export, safetensors_io

GREEDY_STEPS = 16


@torch.no_grad()
def _forward_all(model, prompt):
    trace = []
    h, logits = model(torch.tensor([prompt]), trace=trace)
    return h, logits[0], trace


@torch.no_grad()
def _router(model, prompt):
    """Per layer: (idx [T, K] by descending choice score, weights [T, K], gaps [T]) of the full forward."""
    out = []
    hooks = []
    for moe in model.moe_layers():
        def hook(mod, inp, _out, store=out):
            x = inp[0].reshape(-1, inp[0].shape[-1])
            idx, w, scores = mod.route(x)
            choice = scores + mod.e_score_correction_bias[None, :]
            top = choice.topk(mod.cfg.moe_topk + 1, dim=-1).values
            store.append((idx, w, top[:, -2] - top[:, -1]))
        hooks.append(moe.register_forward_hook(hook))
    model(torch.tensor([prompt]))
    for h in hooks:
        h.remove()
    return out


@torch.no_grad()
def _greedy(model, prompt, steps):
    """Full forward per step (no cache), as tiny-a's oracle does. Returns (tokens, margins, step logits, min routing gap)."""
    seq = list(prompt)
    toks, margins, rows, gap = [], [], [], math.inf
    for _ in range(steps):
        _, logits, _ = _forward_all(model, seq)
        last = logits[-1]
        top2 = last.topk(2).values
        nxt = int(last.argmax())
        toks.append(nxt)
        margins.append(float(top2[0] - top2[1]))
        rows.append(last.clone())
        gap = min(gap, min(float(g.min()) for _, _, g in _router(model, seq)))
        seq.append(nxt)
    return toks, margins, torch.stack(rows), gap


@torch.no_grad()
def compute(model, prompts):
    """All golden tensors for `prompts` (lists of ids) with `model` in its dtype; returns (tensors, stats)."""
    t = {}
    stats = {"greedy_margins": {}, "min_routing_gap_prompt_forwards": math.inf, "min_routing_gap_all_forwards": math.inf}
    for p, prompt in enumerate(prompts):
        h, logits, trace = _forward_all(model, prompt)
        toks, margins, rows, gap = _greedy(model, prompt, GREEDY_STEPS)
        mtp_in = prompt[1:] + [toks[0]]
        draft = model.mtp_forward(torch.tensor([mtp_in]), h)[0]
        t[f"prompt_p{p}"] = torch.tensor(prompt, dtype=torch.int32)
        t[f"logits_p{p}"] = logits
        t[f"greedy_p{p}"] = torch.tensor(toks, dtype=torch.int32)
        t[f"greedy_margin_p{p}"] = torch.tensor(margins)
        t[f"greedy_step_logits_p{p}"] = rows
        t[f"mtp_input_ids_p{p}"] = torch.tensor(mtp_in, dtype=torch.int32)
        t[f"mtp_logits_p{p}"] = draft
        routes = _router(model, prompt)
        pg = min(float(g.min()) for _, _, g in routes)
        stats["min_routing_gap_prompt_forwards"] = min(stats["min_routing_gap_prompt_forwards"], pg)
        stats["min_routing_gap_all_forwards"] = min(stats["min_routing_gap_all_forwards"], pg, gap)
        stats["greedy_margins"][f"p{p}"] = [round(m, 6) for m in margins]
        if p == 0:
            t["router_layer0_topk_idx_p0"] = routes[0][0].to(torch.int32)
            t["router_layer0_topk_weight_p0"] = routes[0][1]
            t["router_topk_idx_p0"] = torch.stack([r[0] for r in routes]).to(torch.int32)
            t["router_topk_weight_p0"] = torch.stack([r[1] for r in routes])
            t["hidden_p0"] = torch.stack([x[0] for x in trace])
            E = model.cfg.n_routed_experts
            ids = torch.cat([r[0].flatten() for r in routes])
            stats["zero_expert_slot_fraction_p0"] = float((ids >= E).float().mean())
    return t, stats


MIN_MARGIN = 0.05      # smallest top1-top2 logit gap allowed at a greedy step (>= 10x the logits tolerance)
MIN_ROUTING_GAP = 2e-5  # smallest k-th vs (k+1)-th choice-score gap allowed (exact expert sets in float32)


def pick_prompts(m32, groups):
    """The first candidate of each group (a list of (text, ids)) whose greedy margins and routing gaps are robust."""
    chosen = []
    for group in groups:
        for text, ids in group:
            _, st = compute(m32, [ids])
            if min(st["greedy_margins"]["p0"]) >= MIN_MARGIN and st["min_routing_gap_all_forwards"] >= MIN_ROUTING_GAP:
                chosen.append((text, ids))
                break
        else:
            raise ValueError(f"no robust golden prompt among {[t for t, _ in group]}")
    return chosen


def write(model_dir, groups):
    """groups: for each golden prompt, candidates (text, ids) in order of preference."""
    m32 = export.load_checkpoint(model_dir, torch.float32)
    m64 = export.load_checkpoint(model_dir, torch.float64)
    chosen = pick_prompts(m32, groups)
    prompts, prompt_texts = [c[1] for c in chosen], [c[0] for c in chosen]
    g32, stats = compute(m32, prompts)
    g64, _ = compute(m64, prompts)
    diffs = {}
    for kind in ("logits", "mtp_logits", "greedy_step_logits", "hidden"):
        keys = [k for k in g32 if k.startswith(kind + "_p")]
        diffs[kind] = max(float((g32[k].double() - g64[k]).abs().max()) for k in keys)
    for k in g32:
        if k.startswith(("greedy_p", "router_topk_idx", "router_layer0_topk_idx")) and not torch.equal(g32[k].long(), g64[k].long()):
            raise ValueError(f"golden {k} differs between float32 and float64: pick other prompts")
    tol = lambda d: float(f"{max(2e-3, 50 * d):.1e}")
    tolerances = {
        "logits_max_abs": tol(max(diffs["logits"], diffs["greedy_step_logits"])),
        "mtp_logits_max_abs": tol(diffs["mtp_logits"]),
        "hidden_p0_max_abs": tol(diffs["hidden"]),
        "router_topk_idx": "exact set equality",
        "greedy": "exact token equality",
        "note": (f"float32 vs float64 max |diff| of this forward: logits {diffs['logits']:.2e}, greedy step logits "
                 f"{diffs['greedy_step_logits']:.2e}, hidden_p0 {diffs['hidden']:.2e}, MTP logits {diffs['mtp_logits']:.2e}; "
                 "each tolerance = max(2e-3, 50x that), as tiny-a states."),
    }
    min_margin = min(min(v) for v in stats["greedy_margins"].values())
    if min_margin < 10 * tolerances["logits_max_abs"]:
        raise ValueError(f"a greedy margin ({min_margin}) is within 10x the logits tolerance")
    tensors = {k: (v.float() if v.is_floating_point() else v) for k, v in g32.items()}
    safetensors_io.save(tensors, os.path.join(model_dir, "golden.safetensors"))
    cfg = m32.cfg
    V, H, K, L = cfg.vocab_size, cfg.hidden_size, cfg.moe_topk, cfg.num_layers
    desc = {}
    for p, prompt in enumerate(prompts):
        T = len(prompt)
        desc[f"prompt_p{p}"] = f"int32 [{T}] input token ids of prompt {p}, the tokenization of {json.dumps(prompt_texts[p])} (no BOS added implicitly; use as-is, positions 0..{T - 1})"
        desc[f"logits_p{p}"] = f"float32 [{T}, {V}] logits at every position of prompt {p} (single full causal forward)"
        desc[f"greedy_p{p}"] = f"int32 [{GREEDY_STEPS}] greedy continuation of prompt {p}: repeat {GREEDY_STEPS}x {{full forward over prompt+generated, take argmax of last position, append}}"
        desc[f"greedy_margin_p{p}"] = f"float32 [{GREEDY_STEPS}] top1-top2 logit margin at each greedy step"
        desc[f"greedy_step_logits_p{p}"] = f"float32 [{GREEDY_STEPS}, {V}] last-position logits at each greedy step (row s = logits after prompt + greedy[:s])"
        desc[f"mtp_input_ids_p{p}"] = f"int32 [{T}] MTP input tokens = prompt[1:] + [greedy_p{p}[0]] (row t pairs token t+1 with main-model hidden state t)"
        desc[f"mtp_logits_p{p}"] = (f"float32 [{T}, {V}] MTP draft logits: row t predicts token t+2. x=eh_proj(cat[enorm(mtp_embed[mtp_input_ids[t]]), "
                                    "hnorm(h_main_final_normed[t])]); one dense pre-norm layer (MLA causal over positions 0..T-1, same RoPE positions as the main model); model.mtp.norm; shared lm_head")
    T0 = len(prompts[0])
    desc["router_layer0_topk_idx_p0"] = f"int32 [{T0}, {K}] layer-0 router expert ids for prompt 0, by descending choice score (softmax + e_score_correction_bias); ids >= {cfg.n_routed_experts} are zero (identity) experts; compare as sets"
    desc["router_layer0_topk_weight_p0"] = f"float32 [{T0}, {K}] matching weights = unbiased softmax score * routed_scaling_factor"
    desc["router_topk_idx_p0"] = f"int32 [{L}, {T0}, {K}] the same for every decoder layer"
    desc["router_topk_weight_p0"] = f"float32 [{L}, {T0}, {K}] weights for every decoder layer"
    desc["hidden_p0"] = f"float32 [{L + 2}, {T0}, {H}] residual stream of prompt 0: [0]=embedding output, [1..{L}]=output of decoder layer i-1 (after the MoE shortcut add), [{L + 1}]=after final model.norm"
    doc = {
        "generator": "tools/train-demo-model (PyTorch forward of the training script)",
        "fixture": os.path.basename(os.path.normpath(model_dir)),
        "model_type": "longcat_flash",
        "compute": "float32 from the stored (bf16 / f32) weight values; full causal forward, no KV cache, batch 1",
        "reference": "tools/train-demo-model/demo/model.py, which implements ../../shared/docs/LONGCAT.md sections 2-5",
        "tensors": desc,
        "conventions": {
            "positions": "position ids are 0..T-1 for every forward (no offset)",
            "rope": "default RoPE, theta=rope_theta, dim=qk_rope_head_dim, applied to (x[2i], x[2i+1]) pairs (interleaved) on q_rot and the single shared k_rot",
            "lora_norm_eps": "q_a_layernorm and kv_a_layernorm use eps=1e-6, NOT rms_norm_eps; all other norms use rms_norm_eps",
            "mla_scales": "q (nope and rope parts) *= sqrt(hidden_size/q_lora_rank) after q_b_proj; normalised kv latent *= sqrt(hidden_size/kv_lora_rank) before kv_b_proj; k_rot unscaled",
            "softmax_scale": "(qk_nope_head_dim + qk_rope_head_dim) ** -0.5",
            "router": "scores = softmax(classifier(x)) over n_routed_experts+zero_expert_num (fp32); top-k on scores + e_score_correction_bias; weight = score * routed_scaling_factor (zero experts included); no renormalisation",
            "moe": "out = sum_k weight_k * expert_k(x), expert id >= n_routed_experts -> identity(x); the MoE input is the output of post_attention_layernorm.0 and its output is added after mlps.1",
            "mtp_embedding": "model.mtp.embed_tokens.weight (a copy of model.embed_tokens.weight: the head shared the embedding in training)",
        },
        "tolerances_fp32_engine": tolerances,
        "robustness": {
            "min_routing_gap_all_forwards": stats["min_routing_gap_all_forwards"],
            "min_routing_gap_prompt_forwards": stats["min_routing_gap_prompt_forwards"],
            "routing_gap_definition": "k-th minus (k+1)-th largest (softmax score + e_score_correction_bias), per token and layer",
            "zero_expert_slot_fraction_p0": stats["zero_expert_slot_fraction_p0"],
            "greedy_margins": stats["greedy_margins"],
            "min_greedy_margin": min_margin,
        },
    }
    with open(os.path.join(model_dir, "golden.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    return doc
