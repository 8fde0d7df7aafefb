"""The model folder's README (model card and training report), metrics.json and loss.png."""
import json
import os
import random

import torch

from . import chatdata, evaluate, samples, template

SAMPLE_PROMPTS = [
    ("plain", "In the beginning God"),
    ("plain", "And the LORD spake unto Moses, saying,"),
    ("chat", [{"role": "user", "content": "Continue: For God so loved the world"}]),
    ("chat", [{"role": "user", "content": "Continue: The LORD is my shepherd;"}]),
    ("chat", [{"role": "user", "content": "Give me a verse about love."}]),
    ("chat", [{"role": "user", "content": "Who are you?"}]),
]


def sample_generations(model, tok, quick=False):
    out = []
    rng = torch.Generator().manual_seed(7)
    for kind, p in SAMPLE_PROMPTS[:2] if quick else SAMPLE_PROMPTS:
        text = p if kind == "plain" else template.render(p)
        ids = tok.encode(text)
        greedy = tok.decode(evaluate.generate(model, ids, 24 if quick else 60))
        sampled = tok.decode(evaluate.generate(model, ids, 24 if quick else 60, temperature=0.7, rng=rng))
        out.append({"prompt": text, "greedy": greedy, "sampled_t0.7": sampled})
    return out


def plot(out_dir, history):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    ax[0].plot(history["step"], history["loss"], label="train loss (main, next token)", lw=1)
    ax[0].plot(history["step"], history["mtp_loss"], label="train loss (MTP head, token t+2)", lw=1)
    ax[0].plot(history["eval_step"], history["eval_loss"], "o-", label="held-out KJV loss (main)", ms=3)
    ax[0].plot(history["eval_step"], history["eval_mtp_loss"], "s-", label="held-out KJV loss (MTP)", ms=3)
    ax[0].set_xlabel("step")
    ax[0].set_ylabel("cross-entropy (nats/token)")
    ax[0].set_ylim(bottom=0)
    ax[0].legend()
    ax[0].grid(alpha=0.3)
    ax[1].plot(history["step"], history["identity_fraction"], lw=1)
    ax[1].set_xlabel("step")
    ax[1].set_ylabel("fraction of top-k slots on identity experts")
    ax[1].set_ylim(0, 1)
    ax[1].grid(alpha=0.3)
    fig.suptitle("LongCat demo model: training")
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "loss.png"), dpi=90)
    plt.close(fig)


def write(out_dir, cfg, args, history, metrics, gdoc):
    if "step" in history:
        plot(out_dir, history)                # a run from --from-model has no training curve: loss.png stays
    with open(os.path.join(out_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2, ensure_ascii=False)
        f.write("\n")
    size = os.path.getsize(os.path.join(out_dir, "model.safetensors"))
    jinja_bad = [n for n, _ in samples.check_jinja()]
    m, tool = metrics, metrics["tool"]
    lines = []
    w = lines.append
    w("# longcat-demo: a small LongCat-Flash model trained on the King James Bible\n")
    w("A real LongCat-Flash checkpoint (architecture `LongcatFlashForCausalLM`: ScMoE blocks with MLA attention, a softmax "
      "router over real and zero (identity) experts, and a dense MTP head), small enough to live in the repository, trained "
      "from scratch on a CPU so that the SDK, its CLI and its samples run on a fresh clone with no download. It continues "
      "verses of the King James Bible, answers in the LongCat chat format, and calls a clock and a calculator tool when "
      "they are offered. It is a demonstration and test asset, not a useful language model.\n")
    w("## Files\n")
    w("| File | What |\n|---|---|")
    w(f"| config.json | LongCat-Flash config (every field of LONGCAT.md section 1) |")
    w(f"| model.safetensors | {size / 1e6:.1f} MB: weights in BF16, the router classifier and `e_score_correction_bias` in F32; tensor names of LONGCAT.md section 7 and `model.mtp.*` (section 5) |")
    w("| generation_config.json | bos 1, eos 2, pad 3; sampling defaults |")
    w("| tokenizer.json, tokenizer_config.json | byte-level BPE (Hugging Face format) and the chat template as Jinja |")
    w("| golden.safetensors, golden.json | expected outputs of the PyTorch forward of the training script (the SDK's golden tests run on them) |")
    w("| tokenizer_samples.json | texts and their ids under this tokenizer (special tokens parsed), for the C# tokenizer's tests |")
    w("| template_samples.json | conversations and their exact rendering by the chat template, for the C# ChatTemplate test |")
    dv = metrics.get("draft_vocab")
    if dv:
        w(f"| mtp_draft_vocab.json | the tokens the model is trained to write, ranked by count over {dv['tokens_counted']} trained positions of the "
          f"training mixture; speculative decoding drafts from the first {dv['size']}, which cover {100 * dv['coverage']:.1f}% of them "
          "(LongCat.Sdk's DraftVocabulary) |")
    w("| metrics.json, loss.png | the measurements below |\n")
    w("## Model\n")
    w("| | |\n|---|---|")
    rows = [
        ("hidden_size", cfg.hidden_size), ("num_layers (blocks; 2 attention sublayers each)", cfg.num_layers),
        ("attention heads", cfg.num_attention_heads),
        ("q_lora_rank / kv_lora_rank", f"{cfg.q_lora_rank} / {cfg.kv_lora_rank}"),
        ("qk_nope / qk_rope / v head dims", f"{cfg.qk_nope_head_dim} / {cfg.qk_rope_head_dim} / {cfg.v_head_dim}"),
        ("ffn_hidden_size (2 dense MLPs per block, and the MTP layer)", cfg.ffn_hidden_size),
        ("routed experts x expert_ffn_hidden_size", f"{cfg.n_routed_experts} x {cfg.expert_ffn_hidden_size}"),
        ("zero (identity) experts", cfg.zero_expert_num), ("moe_topk", cfg.moe_topk),
        ("routed_scaling_factor", cfg.routed_scaling_factor), ("vocab_size", cfg.vocab_size),
        ("rope_theta", cfg.rope_theta), ("trained context", f"{args.seq} tokens (max_position_embeddings {cfg.max_position_embeddings})"),
    ]
    for k, v in rows:
        w(f"| {k} | {v} |")
    w("")
    w("## Training data and licence\n")
    w("- **Text**: the King James Version of the Bible (1611), from Debian's `bible-kjv-text` package (version 4.38, "
      "`/usr/lib/bible.data`, read through the `bible` program of the `bible-kjv` package; originally the Bible Retrieval "
      "System by Chip Chapin, 1989). The KJV text is in the public domain (its copyright expired; Debian's copyright file: "
      "\"The copyright for the King James Version text of the Bible is expired since the translation was done in 1611\"). "
      "The trained weights, like the rest of this repository, carry the repository's licence.")
    w(f"- **Held out**: every verse of {', '.join(['Ruth', 'Jonah', 'Philippians'])} (not trained on; used for the held-out figures).")
    w("- **Chat**: synthetic conversations rendered through the LongCat chat template exactly as the SDK's `ChatTemplate` "
      "renders them (checked byte for byte by `ChatTemplateSamplesTests` on template_samples.json): verse completion "
      "(\"Continue: In the beginning God\" -> \"created the heaven and the earth.\"), the next verse, a verse about a word, "
      "a few small-talk turns, 1-3 rounds, sometimes a system prompt; loss only on the assistant's output and its `</longcat_s>`.")
    w("- **Tools**: synthetic tool use with clock tools (`get_current_time`, `get_time`, `current_time`, `Clock-GetCurrentTime`, "
      "`clock`; argument `city`, `location`, `timezone` or none) and calculator tools (`add`, `multiply`, `subtract`, "
      "`add_numbers`, `multiply_numbers`, `Calculator-Add`, `Calculator-Multiply`, `Calculator-Subtract` with arguments a/b "
      "or x/y; `calculator`, `calculate`, `evaluate` with an `expression`), 1-3 of them advertised in the tools section. "
      "The assistant answers a matching question with `<longcat_tool_call>\\n{\"name\": ..., \"arguments\": {...}}\\n</longcat_tool_call>` "
      "and `</longcat_s>`; given the tool result (`[Round N] USER:<longcat_tool_response>\\n...\\n</longcat_tool_response> ASSISTANT:`) "
      "it answers in text quoting the result. Questions no offered tool covers are declined in text.")
    w(f"- **Mixture** (rows of {args.seq} + 2 tokens): {args.mix} (KJV text, chat, tools).\n")
    w("## Tokenizer\n")
    w(f"Byte-level BPE trained by tools/train-demo-model on the training verses plus rendered conversations: {cfg.vocab_size} "
      "tokens. Ids 0-3 are `<longcat_unk>`, `<longcat_s>`, `</longcat_s>`, `<longcat_pad>` (special); 4-7 are the added tokens "
      "`<longcat_tool_call>`, `</longcat_tool_call>`, `<longcat_tool_response>`, `</longcat_tool_response>` (not special, so "
      "they decode as text); then the 256 byte symbols and the merges. Pre-tokenizer ByteLevel (GPT-2 regex, no prefix space), "
      "decoder ByteLevel, no normalizer, no post-processor (no BOS is added).\n")
    w("## Training\n")
    w(f"- {args.steps} steps of {args.batch} x {args.seq} tokens, AdamW (lr {args.lr}, warmup {args.warmup}, cosine to 10%, "
      f"weight decay 0.1, betas 0.9/0.95, clip 1.0), fp32, seed {args.seed}, {args.threads} threads; "
      f"{(metrics.get('train_seconds') or 0) / 60:.0f} minutes on the 2-core build machine (shared with other jobs).")
    w(f"- Loss = next-token cross-entropy + {args.mtp_weight} x MTP cross-entropy (token t+2), both masked to trained tokens.")
    w(f"- Expert balance without an auxiliary loss (LongCat-Flash's computational budget control): after every step, each "
      f"real expert's `e_score_correction_bias` moves by u x (target/N - its share of the top-k slots), u = {args.bias_rate}, "
      f"N = {cfg.n_routed_experts}; identity experts' biases stay 0. Target: {args.real_target:.3f} of the slots on real "
      f"experts, i.e. {1 - args.real_target:.3f} on identity experts. The bias only steers selection; weights are the "
      "unbiased softmax scores x routed_scaling_factor.")
    d = metrics.get("distill")
    if d:
        w(f"- **MTP head self-distillation** (tools/train-demo-model/demo/distill.py), after training, from the exported BF16 "
          f"weights: the main model frozen, the head alone trained for {d['steps']} steps of {d['batch']} x {d['seq']} tokens of "
          f"the same mixture (AdamW, lr {d['lr']}, warmup 20, cosine to 10%) to match the main model's own distribution for "
          f"token t+2 (KL to softmax of the main logits at t+1), as draft heads are trained for speculative decoding: "
          f"KL {d['kl_first']:.3f} -> {d['kl_last']:.3f}; greedy k=1 acceptance {metrics['mtp_accept_greedy_before_distill']:.3f} "
          f"-> {metrics['mtp_accept_greedy']:.3f}. {d['seconds'] / 60:.0f} minutes.")
    w("")
    w("![training loss](loss.png)\n")
    w("## Results (measured on the exported BF16 weights)\n")
    w("| Measure | Value |\n|---|---|")
    w(f"| held-out KJV loss (main head, next token) | {m['loss']:.3f} nats/token (perplexity {2.718281828 ** m['loss']:.1f}) |")
    w(f"| held-out next-token top-1 accuracy | {m['acc']:.3f} |")
    w(f"| held-out MTP loss (token t+2) | {m['mtp_loss']:.3f} nats/token |")
    w(f"| **MTP head held-out top-1 accuracy** (token t+2 of held-out text) | **{m['mtp_acc']:.3f}** |")
    w(f"| MTP draft = main model's argmax (held-out text) | {m['mtp_agree']:.3f} |")
    w(f"| MTP draft accepted in greedy k=1 speculation on the model's own output | {m['mtp_accept_greedy']:.3f} |")
    w(f"| **identity-expert fraction** (top-k slots, held-out text, all layers) | **{m['identity_slot_fraction']:.3f}** (target {1 - args.real_target:.3f}) |")
    w(f"| tokens with at least one identity expert / only identity experts | {m['tokens_with_identity_fraction']:.3f} / {m['tokens_only_identity_fraction']:.3f} |")
    w(f"| **held-out tool questions answered with a parseable tool call** (greedy, n = {tool['n']}) | **{tool['parseable_fraction']:.2f}** |")
    w(f"| ... naming the right tool | {tool['right_tool_fraction']:.2f} |")
    w(f"| ... with the right tool and arguments | {tool['correct_call_fraction']:.2f} |")
    w(f"| given the tool result, a text answer quoting it | {tool['answer_with_result_fraction']:.2f} |")
    sk = metrics.get("tool_sk")
    if sk:
        w(f"| Semantic Kernel-style tool set (below), n = {sk['n']}: parseable / right tool / right tool and arguments / answer quoting the result | "
          f"{sk['parseable_fraction']:.2f} / {sk['right_tool_fraction']:.2f} / {sk['correct_call_fraction']:.2f} / {sk['answer_with_result_fraction']:.2f} |")
    w("")
    w("The Semantic Kernel-style tool set advertises exactly these three tools, as trained (a plugin that mirrors them, "
      "names, parameter names, types and descriptions, gets the prompts the model knows best):\n")
    w("```json\n" + json.dumps([e[1][0] for e in chatdata.sk_style_tools()], indent=1) + "\n```\n")
    w("Real-expert load (share of all top-k slots) on held-out text: " + ", ".join(f"{x:.3f}" for x in m["real_expert_load"]) + ".\n")
    w("Held-out tool questions use cities never seen in training and fresh numbers. Examples (greedy):\n")
    for ex in tool["examples"][:4]:
        w(f"- tools {ex['tools']}, user: {ex['question']!r}\n  - model: `{ex['output']!r}`\n  - after result {ex['tool_result']!r}: `{ex['answer']!r}`")
    w("\n## Sample generations\n")
    for s in metrics["samples"]:
        w(f"- prompt `{s['prompt']!r}`\n  - greedy: `{s['greedy']!r}`\n  - sampled (T = 0.7): `{s['sampled_t0.7']!r}`")
    w("\n## Consistency with the SDK\n")
    tol = gdoc["tolerances_fp32_engine"]
    w(f"golden.safetensors holds the PyTorch forward's outputs for {len([k for k in gdoc['tensors'] if k.startswith('prompt_p')])} "
      "fixed prompts, computed in float32 from the stored weights: logits at every position, 16-step greedy continuations "
      "with their step logits, the MTP draft logits, the router's choices and weights, and the residual stream. "
      f"The SDK's golden tests (`dotnet test --filter FullyQualifiedName~Golden`) run on this folder; tolerances: logits "
      f"{tol['logits_max_abs']}, MTP logits {tol['mtp_logits_max_abs']}, hidden {tol['hidden_p0_max_abs']} ({tol['note']}). "
      f"Smallest greedy margin {gdoc['robustness']['min_greedy_margin']:.3f}, smallest routing gap "
      f"{gdoc['robustness']['min_routing_gap_all_forwards']:.2e}.\n")
    w("The Jinja `chat_template` in tokenizer_config.json renders the same text as the SDK's template for every case of "
      "template_samples.json" + (f" except {jinja_bad} (Hugging Face's `tojson` keeps non-ASCII characters of a tool schema, "
                                 "where the SDK writes them as `\\uXXXX` like Python's `json.dumps`)." if jinja_bad else ".") + "\n")
    w("## Retrain\n")
    w("```bash\n/usr/bin/python3 tools/train-demo-model/train.py --out models/longcat-demo\n```\n")
    w("Deterministic for a given seed, thread count and machine (see tools/train-demo-model/README.md).")
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
