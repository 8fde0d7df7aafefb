"""models/longcat-thinking-demo: template and tokenizer samples, golden prompts, metrics.json and the README (model card)."""
import json
import os

from . import samples as demo_samples
from . import thinkdata as D
from . import thinktemplate as T

# ------------------------------------------------------------------------------------------------------- samples

FUNC_ADD = {"type": "function", "function": {
    "name": "func_add", "description": "Calculate the sum of two numbers.",
    "parameters": {"type": "object", "properties": {"x1": {"type": "number", "description": "The first addend."},
                                                   "x2": {"type": "number", "description": "The second addend."}},
                   "required": ["x1", "x2"]}}}
WEATHER_DE = {"type": "function", "function": {
    "name": "wetter", "description": "Wetter für eine Stadt — heute.",
    "parameters": {"type": "object", "properties": {"ort": {"type": "string", "description": "Stadt, z. B. Zürich"},
                                                   "tage": {"type": "number", "minimum": 0.5}}}}}


def template_cases():
    """Conversations in the OpenAI shape, with tools and kwargs, covering every rule of the template."""
    fixed = T.openai_tools(D.FIXED_TOOLS)
    sys_ = {"role": "system", "content": "You are a helpful assistant."}
    add_q = {"role": "user", "content": "What is 125679 + 234519?"}
    add_call = {"role": "assistant", "content": "", "reasoning_content": "I will use func_add.",
                "tool_calls": [T.call("func_add", {"x1": 125679, "x2": 234519})]}
    add_res = {"role": "tool", "name": "func_add", "content": "{\"ans\": 360198}"}
    rounds = [{"role": "user", "content": "Continue: In the beginning God"},
              {"role": "assistant", "reasoning_content": "It is Genesis 1:1. I will write the rest of it.",
               "content": "created the heaven and the earth."},
              {"role": "user", "content": "Give me a verse about light."}]
    remind = [{"role": "user", "content": "Remind me to pray in 15 minutes."},
              {"role": "assistant", "content": "", "reasoning_content": "The Reminder-Create tool can do it. I will call it.",
               "tool_calls": [T.call("Reminder-Create", {"minutes": 15, "message": "pray", "options": {"repeat": False, "sound": "bell"}})]},
              {"role": "tool", "name": "Reminder-Create", "content": "{\"id\": 7, \"status\": \"created\"}"}]
    c = lambda name, messages, tools=None, kwargs=None, agp=True: {"name": name, "messages": messages, "tools": tools,
                                                                   "kwargs": kwargs or {}, "add_generation_prompt": agp}
    return [
        c("single user turn, kwargs absent (thinking on by default)", [{"role": "user", "content": "Who are you?"}]),
        c("LONGCAT-THINKING.md 3.2 README example", [
            sys_, {"role": "user", "content": "Please tell me what is $$1 + 1$$ and $$2 \\times 2$$?"},
            {"role": "assistant", "reasoning_content": "1 + 1 = 2 and 2 x 2 = 4.", "content": "The answers are 2 and 4"},
            {"role": "user", "content": "Check again?"}], None, {"enable_thinking": True, "save_history_reasoning_content": False}),
        c("system and rounds, history reasoning dropped", [{"role": "system", "content": "You quote the King James Bible."}] + rounds,
          None, {"enable_thinking": True}),
        c("save_history_reasoning_content true", [{"role": "system", "content": "You quote the King James Bible."}] + rounds,
          None, {"enable_thinking": True, "save_history_reasoning_content": True}),
        c("LONGCAT-THINKING.md 3.3: tool loop in the current turn", [sys_, add_q, add_call, add_res], [FUNC_ADD], {"enable_thinking": True}),
        c("LONGCAT-THINKING.md 3.4: tool call in history, then a new user turn",
          [sys_, add_q, add_call, add_res, {"role": "assistant", "reasoning_content": "The tool says 360198.", "content": "It is 360198."},
           {"role": "user", "content": "Now double it."}], [FUNC_ADD], {"enable_thinking": True}),
        c("the SDK's tool set, a reminder question", [{"role": "user", "content": "Remind me to pray in 15 minutes."}], fixed,
          {"enable_thinking": True}),
        c("reminder call re-rendered in the current turn (integer, string and object arguments)", remind, fixed, {"enable_thinking": True}),
        c("finished tool exchange, add_generation_prompt false", remind + [
            {"role": "assistant", "reasoning_content": "The reminder was created.", "content": "I will remind you to pray in 15 minutes."}],
          fixed, {"enable_thinking": True}, False),
        c("thinking off: system and rounds", [{"role": "system", "content": "Answer briefly."}] + rounds, None, {"enable_thinking": False}),
        c("thinking off: tool loop", remind, fixed, {"enable_thinking": False}),
        c("enable_thinking null (off)", [{"role": "user", "content": "Hello"}], None, {"enable_thinking": None}),
        c("add_generation_prompt false after a user turn", [{"role": "user", "content": "Hello"}], None, {}, False),
        c("content before two calls, two results, bare tool definitions, a tool message without name",
          [{"role": "user", "content": "What is 2 plus 3, and the time in Paris?"},
           {"role": "assistant", "content": "Let me check both.", "reasoning_content": "Two tools are needed.",
            "tool_calls": [{"function": {"name": "Calculator-Add", "arguments": {"a": 2, "b": 3}}},
                           {"name": "Clock-GetCurrentTime", "arguments": {"city": "Paris"}}]},
           {"role": "tool", "name": "Calculator-Add", "content": "5"},
           {"role": "tool", "content": {"city": "Paris", "time": "14:05"}}],
          [D.ADD, D.CLOCK], {"enable_thinking": True}),
        c("Heavy Thinking summary prompt", [{"role": "user", "content": T.summary_prompt(
            "What is 12 plus 30?", ["12 plus 30 is 42.", "12 plus 30 is 41.", "12 plus 30 is 42."])}], None, {"enable_thinking": True}),
        c("non-ASCII", [{"role": "system", "content": "Réponds en français. 日本語も可。"},
                        {"role": "user", "content": "Wie ist das Wetter in Zürich? ☀"},
                        {"role": "assistant", "content": "", "reasoning_content": "Ich rufe „wetter“ auf.",
                         "tool_calls": [T.call("wetter", {"ort": "Zürich", "tage": 2, "notiz": {"ß": "straße"}})]},
                        {"role": "tool", "name": "wetter", "content": "Sonnig, 21 °C"}], [WEATHER_DE], {"enable_thinking": True}),
    ]


ERROR_CASES = [
    ("a tool message with no preceding assistant call", [{"role": "user", "content": "Hi"}, {"role": "tool", "name": "x", "content": "1"}]),
    ("a system message that is not first", [{"role": "user", "content": "Hi"}, {"role": "system", "content": "Be brief."}]),
    ("tool-call arguments as a JSON string", [{"role": "user", "content": "Add 2 and 3."},
                                               {"role": "assistant", "content": "", "tool_calls": [T.call("Calculator-Add", "{\"a\": 2, \"b\": 3}")]}]),
    ("an unknown role", [{"role": "developer", "content": "Hi"}]),
]


def template_samples():
    import jinja2
    out = []
    for case in template_cases():
        out.append(dict(case, expected=T.render(case["messages"], case["tools"], case["add_generation_prompt"], **case["kwargs"])))
    for name, msgs in ERROR_CASES:
        try:
            T.render(msgs)
        except jinja2.exceptions.TemplateError as e:
            out.append({"name": "error: " + name, "messages": msgs, "tools": None, "kwargs": {}, "add_generation_prompt": True,
                        "error": str(e)})
            continue
        raise ValueError(f"{name}: the template did not raise")
    return out


TOKENIZER_TEXTS = [
    "<longcat_think>\nThe user asks who I am.\n</longcat_think>\nI am LongCat thinking demo.</longcat_s>",
    "<longcat_user>Who are you? /think_on <longcat_assistant><longcat_think>\n",
    "<longcat_system>You are a helpful assistant.<longcat_user>Hi<longcat_assistant>Hello!</longcat_s>",
    "<longcat_tool_call>Reminder-Create\n<longcat_arg_key>minutes</longcat_arg_key>\n<longcat_arg_value>15</longcat_arg_value>\n"
    "<longcat_arg_key>options</longcat_arg_key>\n<longcat_arg_value>{\"repeat\": false, \"sound\": \"bell\"}</longcat_arg_value>\n</longcat_tool_call>\n</longcat_s>",
    "<longcat_observation><longcat_tool_response>Calculator-Add\n42</longcat_tool_response> /think_on <longcat_assistant><longcat_think>\n",
    "<longcat_tool_declare>\n# Tools\n</longcat_tool_declare>",
    "<longcat_think", "longcat_think>", "</longcat_think", "<</longcat_think>>", "</longcat_think></longcat_think>",
    "<longcat_arg_key></longcat_arg_key><longcat_arg_value></longcat_arg_value>",
    "x</longcat_think>y", " /think_on", "/think_off",
]


def tokenizer_samples(tok):
    out = [{"text": t, "ids": tok.encode(t)} for t in demo_samples.TOKENIZER_TEXTS + TOKENIZER_TEXTS]
    for case in template_cases():
        text = T.render(case["messages"], case["tools"], case["add_generation_prompt"], **case["kwargs"])
        out.append({"text": text, "ids": tok.encode(text)})
    for s in out:
        if tok.decode(s["ids"]) != s["text"]:
            raise ValueError(f"tokenizer does not round-trip {s['text']!r}")
    return out


def write_samples(out_dir, tok):
    with open(os.path.join(out_dir, "template_samples.json"), "w", encoding="utf-8") as f:
        json.dump(template_samples(), f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "tokenizer_samples.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_samples(tok), f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def golden_prompts(tok):
    """Candidates (text, ids) per golden prompt, in order of preference (golden.pick_prompts keeps the first robust one)."""
    chat = lambda q, **kw: T.render([{"role": "user", "content": q}], **kw)
    groups = [
        [chat("Who are you?"), chat("Hello"), chat("What can you do?"), chat("Continue: In the beginning God"),
         chat("Thank you"), chat("Give me a verse about light.")],
        [chat("Who are you?", enable_thinking=False), chat("Hello", enable_thinking=False), chat("Thank you", enable_thinking=False)],
    ]
    return [[(t, tok.encode(t)) for t in g] for g in groups]


def folder_size(out_dir):
    return sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))


# ------------------------------------------------------------------------------------------------------- README

def _f(x):
    return f"{x:.2f}"


def write(out_dir, cfg, args, history, metrics, gdoc, tok):
    with open(os.path.join(out_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1, ensure_ascii=False)
        f.write("\n")
    size = os.path.getsize(os.path.join(out_dir, "model.safetensors"))
    m = metrics
    L = []
    w = L.append
    w("# longcat-thinking-demo: a small LongCat-Flash model in the LongCat-Flash-Thinking-2601 format\n")
    w("The bundled demo model (`models/longcat-demo`: same LongCat-Flash architecture and weights shape, same BPE merges), "
      "fine-tuned to speak the conversation format of LongCat-Flash-Thinking-2601: it writes its reasoning between "
      "`<longcat_think>` and `</longcat_think>`, then an answer, calls tools in the 2601 XML form, and writes the final "
      "answer of a Heavy Thinking summary prompt. A test asset for the SDK's reasoning stream, XML tool-call parser, "
      "thinking budget and Heavy Thinking, trained on a CPU in minutes; not a useful language model (its verses and "
      "arithmetic are often wrong, its formats are reliable).\n")
    w("## Files\n")
    w("| File | What |\n|---|---|")
    w("| config.json | LongCat-Flash config, as longcat-demo's with `vocab_size` 4108 |")
    w(f"| model.safetensors | {size / 1e6:.1f} MB: BF16 weights, router classifier and `e_score_correction_bias` in F32 (longcat-demo's conventions) |")
    w("| generation_config.json | bos 1, eos 2, pad 3; temperature 1.0, top_p 0.95 (LONGCAT-THINKING.md section 9, Flash-Thinking) |")
    w("| tokenizer.json | longcat-demo's byte-level BPE plus 12 added tokens (ids 4096-4107, below) |")
    w("| tokenizer_config.json | `added_tokens_decoder` and the 2601 `chat_template` (Jinja) |")
    w("| template_samples.json | conversations (OpenAI shape, tools, kwargs) and the template's exact rendering by Python's jinja2 in transformers' environment; `error` instead of `expected` for conversations the template rejects |")
    w("| tokenizer_samples.json | texts and their ids (added tokens parsed), for the C# tokenizer's tests |")
    if gdoc:
        w(f"| golden.safetensors, golden.json | PyTorch forward outputs for {len([k for k in gdoc['tensors'] if k.startswith('prompt_p')])} prompt(s) (layout of longcat-demo's goldens) |")
    dv = m.get("draft_vocab")
    if dv:
        w(f"| mtp_draft_vocab.json | tokens at the trained positions of the fine-tuning mixture ranked by count; the first {dv['size']} cover {100 * dv['coverage']:.1f}% of them |")
    w("| metrics.json | every measurement below, with more examples |\n")

    w("## Tokens\n")
    w("Ids 0-4095 are longcat-demo's: 0-3 `<longcat_unk>`, `<longcat_s>`, `</longcat_s>` (end of turn, eos), `<longcat_pad>` "
      "(special); 4-7 `<longcat_tool_call>`, `</longcat_tool_call>`, `<longcat_tool_response>`, `</longcat_tool_response>` "
      "(not special). Added after them (Hugging Face gives an added token missing from `model.vocab` the next id):\n")
    w("| id | token | special |\n|---|---|---|")
    for content, special in T.THINK_TOKENS:
        w(f"| {tok.token_id(content)} | `{content}` | {'true' if special else 'false'} |")
    w("\nThe think, tool-call and argument tags are not special, so they decode as text (a client that skips special "
      "tokens still sees them); role tags, the tool-declaration tags and `<longcat_observation>` are special. New "
      "embedding and `lm_head` rows started as the mean of the old rows plus seeded Gaussian noise "
      f"({args.noise} x the rows' standard deviation).\n")

    w("## Conversation format\n")
    w("The chat template renders LONGCAT-THINKING.md sections 3-4 (the [V]/[O] strings exactly). Rendered by "
      "`apply_chat_template(messages, tools=..., add_generation_prompt=..., enable_thinking=..., save_history_reasoning_content=...)`:\n")
    w("```\n[<longcat_tool_declare>...</longcat_tool_declare>][<longcat_system>{system}]<longcat_user>{q1}<longcat_assistant>{a1}</longcat_s>"
      "<longcat_user>{q2} /think_on <longcat_assistant><longcat_think>\\n\n```\n")
    w("The model then writes `{reasoning}\\n</longcat_think>\\n{answer}</longcat_s>`, or, for a tool call, "
      "`{reasoning}\\n</longcat_think>\\n<longcat_tool_call>{name}\\n<longcat_arg_key>{k}</longcat_arg_key>\\n"
      "<longcat_arg_value>{v}</longcat_arg_value>\\n...</longcat_tool_call>\\n</longcat_s>`. With thinking off the prompt ends "
      "with `<longcat_assistant>` and the model writes `{answer}</longcat_s>` (or the call) with no think block. After a tool "
      "result in the current turn the prompt ends `...</longcat_tool_response> /think_on <longcat_assistant><longcat_think>\\n`.\n")
    w("Decisions where LONGCAT-THINKING.md is silent (ours):\n")
    for d in T.DECISIONS:
        w(f"- {d}")
    w("")
    w("The Heavy Thinking summary prompt (our own wording; one user turn, rendered by the template like any other):\n")
    w("```\n" + T.summary_prompt("{question}", ["{answer_1}", "{answer_N}"]).replace("# ----- Thinker #2 -----", "...\n\n# ----- Thinker #N -----") + "\n```\n")
    w("template_samples.json renders the README example of section 3.2 and worked examples A and B (3.3, 3.4) exactly "
      "as printed there (with the `func_add` tool declared; its description and schema are ours), plus the other cases.\n")

    w("## Model\n")
    w(f"longcat-demo's shape: hidden {cfg.hidden_size}, {cfg.num_layers} ScMoE blocks, MLA ({cfg.num_attention_heads} heads, q/kv lora "
      f"{cfg.q_lora_rank}/{cfg.kv_lora_rank}), {cfg.n_routed_experts} routed experts x {cfg.expert_ffn_hidden_size} + "
      f"{cfg.zero_expert_num} zero experts, top-{cfg.moe_topk}, a dense MTP head; vocab_size {cfg.vocab_size}.\n")

    w("## Training data\n")
    w("Every conversation is rendered by the Jinja template above with Python's jinja2 (the environment of "
      "tools/chat-templates/generate.py), so the training text is what the SDK renders. Loss only on the model's output: "
      "for each assistant message whose prompt (the conversation before it, rendered with the generation prompt) is a prefix "
      "of the whole rendering, the rest of its rendering (reasoning, `\\n</longcat_think>\\n`, answer or calls, `</longcat_s>`); "
      "history turns whose reasoning the template dropped stay prompt.\n")
    rt = m.get("train_reasoning_tokens") or {}
    w(f"- **Reasoning chat** ({int(100 * args.thinking)}% of the chat, tool and summary conversations have thinking on): verse completion, next verse, a "
      "verse about a word, repeating words, small talk (\"Who are you?\" -> \"I am LongCat thinking demo, a small LongCat-Flash "
      "model that thinks before it answers.\"), each with templated reasoning, e.g. `The user wants the rest of a verse "
      "that begins \"In the beginning God\". It is Genesis 1:1. I will write the rest of it.` "
      + (f"Reasoning of the thinking chat conversations: {rt.get('min')}-{rt.get('max')} tokens, mean {rt.get('mean', 0):.1f}; "
         f"{rt.get('le16')} of {rt.get('n')} at 16 tokens or fewer." if rt else ""))
    w("- **Forced ends of thinking** (15% of one-round thinking chats): the reasoning cut after its first k tokens (k = 16 two "
      "times in three, else 4-24), then `\\n</longcat_think>` or `</longcat_think>` inserted (not trained), then "
      "`\\n{answer}</longcat_s>` (trained), as a thinking budget does.")
    w(f"- **Thinking off** ({100 - int(100 * args.thinking)}% of the chat, tool and summary conversations): the prompt ends with `<longcat_assistant>`, the output is `{{answer}}</longcat_s>` (or the tool call) with no think block.")
    w("- **Multi-round**: 1-3 rounds, sometimes a system prompt; history reasoning dropped (10% of multi-round thinking "
      "conversations with save_history_reasoning_content true).")
    w("- **Tools** (XML): `Clock-GetCurrentTime` (city: string), `Calculator-Add` and `Calculator-Multiply` (a, b: integer) as "
      "in longcat-demo's Semantic Kernel-style set, and `Reminder-Create` (minutes: integer, message: string, options: "
      "object). 1-3 tools advertised; 35% of the time exactly `[Clock-GetCurrentTime, Calculator-Add, Reminder-Create]`. "
      "Reasoning names the tool and the arguments, then the call; after the result (` /think_on <longcat_assistant><longcat_think>\\n`), "
      "reasoning and a text answer quoting it. 10% are questions no offered tool covers, declined in text. 4% are the SDK "
      "tests' exact questions (\"Remind me to pray in 15 minutes.\", \"What is 12 plus 30?\") with that tool set. "
      "Reminder options default to `{\"repeat\": false, \"sound\": \"bell\"}` (\"Repeat it.\", \"Use a chime.\", \"Ring a gong.\" change them).")
    w("- **Heavy Thinking summaries**: a question (verse completion, arithmetic, small talk) and 2-4 answers in the summary "
      "prompt, the majority right; reasoning compares them, the answer is the majority answer without mentioning the thinkers.")
    w("- **KJV text**: consecutive verses, every token trained, to keep the language.")
    w(f"- **Mixture** (rows of {args.seq} + 2 tokens, conversations packed; KJV, chat, tools, summaries): stage 1 {args.mix}, "
      f"stage 2 {args.stage2_mix}. Stage 1 draws the tool questions 40% reminder, 25% add, 15% multiply, 20% clock, and 4% of the "
      "tool conversations are the SDK tests' questions; stage 2 30/30/15/25 and 10%, with more small talk (25% of chat rounds "
      f"instead of 15%) and {int(100 * args.stage2_thinking)}% of conversations with thinking on.\n")

    w("## Training\n")
    st = m.get("stage_seconds") or [None, None]
    mins = lambda x: f"{(x or 0) / 60:.0f}"
    w(f"Fine-tuned from longcat-demo's exported weights in two stages, each with a fresh AdamW (cosine to 10%, weight decay "
      f"0.1, betas 0.9/0.95, clip 1.0): stage 1, {args.steps} steps at lr {args.lr} (warmup {args.warmup}), {mins(st[0])} minutes; "
      f"stage 2 from stage 1's weights, {args.stage2_steps} steps at lr {args.stage2_lr} (warmup {args.stage2_warmup}), "
      f"{mins(st[1])} minutes. Stage 2 exists because stage 1's model picked its tool mostly without regard to the question "
      "(right tool for 45% of held-out questions, Reminder-Create for most). Both: "
      f"{args.batch} x {args.seq} tokens per step, fp32, seed {args.seed} (stage 2's data: seed + 50), "
      f"{args.threads} threads, joint MTP loss (weight {args.mtp_weight}, the head sharing the embedding as in train.py) and the "
      f"auxiliary-loss-free expert-bias update (u = {args.bias_rate}, target {args.real_target:.3f} of the slots on real experts); "
      f"{(m.get('train_seconds') or 0) / 60:.0f} minutes in all on the 2-core build machine, which another job kept busy "
      "(4-8 s per step; a step is about 5 s of CPU time, both threads together, so about 3 s on the idle machine).")
    d = m.get("distill")
    if d:
        w(f" Then MTP self-distillation (demo/distill.py): {d['steps']} steps of {d['batch']} x {d['seq']}, KL {d['kl_first']:.3f} -> {d['kl_last']:.3f}, "
          f"{d['seconds'] / 60:.0f} minutes.")
    w("")

    w("## Results (greedy decoding, the exported BF16 weights, held-out prompts)\n")
    w("Held out: the verses of Ruth, Jonah and Philippians, cities, reminder activities and numbers never trained on.\n")
    ct, co, t, tf, tn = m["chat_thinking"], m["chat_no_thinking"], m["tool"], m["tool_fixed"], m["tool_no_thinking"]
    r = ct["reasoning_tokens"]
    w("| Measure | Value |\n|---|---|")
    w(f"| thinking on, chat (n = {ct['n']}): `{{reasoning}}\\n</longcat_think>\\n{{answer}}</longcat_s>`, one think block | **{_f(ct['well_formed_fraction'])}** |")
    w(f"| reasoning length, tokens (well-formed outputs): min / median / mean / max | {r['min']} / {r['median']} / {r['mean']:.1f} / {r['max']} |")
    w(f"| reasoning longer than 16 tokens | **{_f(r['over_16_fraction'])}** |")
    w(f"| thinking off, chat (n = {co['n']}): `{{answer}}</longcat_s>` with no think tag | **{_f(co['well_formed_fraction'])}** |")
    w(f"| tools, random 1-3 tool sets (n = {t['n']}): well-formed / parseable XML call / right tool / arguments of the schema's types / exact arguments | "
      f"{_f(t['well_formed_fraction'])} / **{_f(t['parseable_fraction'])}** / {_f(t['right_tool_fraction'])} / {_f(t['typed_args_fraction'])} / {_f(t['exact_args_fraction'])} |")
    w(f"| ... given the tool result: well-formed answer / answer quoting the result | {_f(t['answer_well_formed_fraction'])} / {_f(t['answer_quotes_result_fraction'])} |")
    w(f"| tools, the SDK's set [Clock-GetCurrentTime, Calculator-Add, Reminder-Create] (n = {tf['n']}): parseable / right tool / typed / exact | "
      f"**{_f(tf['parseable_fraction'])}** / {_f(tf['right_tool_fraction'])} / {_f(tf['typed_args_fraction'])} / {_f(tf['exact_args_fraction'])} |")
    w(f"| ... given the tool result: answer quoting the result | {_f(tf['answer_quotes_result_fraction'])} |")
    pk = {k: v for k, v in t["per_kind"].items()}
    w("| per question kind (random sets), right tool / typed / exact | " + "; ".join(
        f"{k} {v['right_tool']}/{v['typed_args']}/{v['exact_args']} of {v['n']}" for k, v in pk.items()) + " |")
    w(f"| tools, thinking off (n = {tn['n']}): parseable / right tool / typed | {_f(tn['parseable_fraction'])} / {_f(tn['right_tool_fraction'])} / {_f(tn['typed_args_fraction'])} |")
    w(f"| questions no offered tool covers (n = {m['decline']['n']}): declined in text, no call | {_f(m['decline']['declined_in_text_fraction'])} |")
    s = m["summary"]
    w(f"| Heavy Thinking summary prompt (n = {s['n']}): well-formed / the majority answer exactly | {_f(s['well_formed_fraction'])} / **{_f(s['majority_answer_fraction'])}** |")
    for key, label in (("forced_close", "`</longcat_think>`"), ("forced_close_newlines", "`\\n</longcat_think>\\n`")):
        fc = m[key]
        w(f"| 16-token thinking budget, {label} inserted ({fc['forced']} of {fc['n']} prompts reached the budget): an answer and `</longcat_s>` follow | **{_f(fc['answer_after_forced_close_fraction'])}** |")
    hk = m.get("heldout_kjv")
    if hk:
        w(f"| held-out KJV loss (next token) / MTP top-1 accuracy (token t+2) | {hk['loss']:.3f} nats / {hk['mtp_acc']:.3f} |")
    w(f"| MTP draft accepted in greedy k=1 speculation on thinking output | {m['mtp_accept_greedy']:.3f} |")
    w("")

    w("### The SDK tests' prompts (greedy, verbatim)\n")
    w("Tools advertised: `[Clock-GetCurrentTime, Calculator-Add, Reminder-Create]`, in that order (tools `D.FIXED_TOOLS` of "
      "tools/train-demo-model/demo/thinkdata.py; Reminder-Create's parameters exactly as in the brief).\n")
    for row in m["sdk_prompts"]:
        w(f"- user: {row['question']!r}")
        for key, label in (("thinking", "thinking on"), ("no_thinking", "thinking off")):
            x = row[key]
            w(f"  - {label}: `{x['output']!r}`")
            w(f"    - parsed: `{json.dumps(x['calls'], ensure_ascii=False)}`")
            if "answer" in x:
                w(f"    - after result `{x['tool_result']}`: `{x['answer']!r}`")
    w("")
    w("### Examples (greedy)\n")
    for ex in ct["examples"][:4]:
        w(f"- prompt `{ex['prompt']!r}`\n  - `{ex['output']!r}`")
    for ex in co["examples"][:2]:
        w(f"- thinking off, prompt `{ex['prompt']!r}`\n  - `{ex['output']!r}`")
    for ex in t["examples"][:4]:
        w(f"- tools {ex['tools']}, user {ex['question']!r}\n  - `{ex['output']!r}`\n  - after result {ex['tool_result']!r}: `{ex['answer']!r}`")
    for ex in m["decline"]["examples"][:1]:
        w(f"- tools {ex['tools']}, user {ex['question']!r}\n  - `{ex['output']!r}`")
    for ex in s["examples"][:2]:
        w(f"- summary prompt for {ex['prompt'].split(chr(10))[0]!r} (expected {ex['expected']!r})\n  - `{ex['output']!r}`")
    for ex in m["forced_close"]["examples"][:2]:
        w(f"- budget 16, user {ex['question']!r}: reasoning `{ex['reasoning_16']!r}` + `{ex['inserted']!r}` -> `{ex['continuation']!r}`")
    w("")
    w("## Consistency with the SDK\n")
    if gdoc:
        tol = gdoc["tolerances_fp32_engine"]
        w(f"golden.safetensors holds the PyTorch forward's outputs (float32 from the stored weights) for the prompt(s) "
          f"{', '.join(repr(t) for t in [v.split('tokenization of ')[1].split(' (no BOS')[0] for k, v in gdoc['tensors'].items() if k.startswith('prompt_p')])}: "
          f"logits, a 16-step greedy continuation, MTP logits, router choices and the residual stream, in longcat-demo's layout; "
          f"tolerances logits {tol['logits_max_abs']}, MTP {tol['mtp_logits_max_abs']}, hidden {tol['hidden_p0_max_abs']}.\n")
    w("template_samples.json was rendered by the template in tokenizer_config.json with Python's jinja2 "
      "(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols; tojson = json.dumps(ensure_ascii=False)).\n")
    w("## Retrain\n")
    w(f"```bash\n/usr/bin/python3 tools/train-demo-model/train_thinking.py --out models/longcat-thinking-demo\n```\n")
    w("Starts from models/longcat-demo as committed; deterministic for a given seed, thread count and machine (see "
      "tools/train-demo-model/README.md).")
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")
