"""Measurements of the thinking demo on held-out prompts with greedy decoding: reasoning format and length, thinking off,
XML tool calls (parsed by the rules of Meituan's longcat_xml parser, LONGCAT-THINKING.md section 6.2), answers after a
tool result, Heavy Thinking summaries, forced ends of thinking (a 16-token budget)."""
import ast
import json
import random
import re

import torch

from . import chatdata, evaluate
from . import thinkdata as D
from . import thinktemplate as T

EOS_ID = 2
BUDGET = 16

CALL_RE = re.compile(r"<longcat_tool_call>(.*?)</longcat_tool_call>", re.S)
PAIR_RE = re.compile(r"<longcat_arg_key>(.*?)</longcat_arg_key>\s*<longcat_arg_value>(.*?)</longcat_arg_value>", re.S)


def _restore(value, typ):
    """Type restoration of section 6.2 rule 5: "string" keeps the raw text; anything else JSON, then a Python literal,
    else the raw text."""
    if typ == "string":
        return value
    try:
        return json.loads(value)
    except (json.JSONDecodeError, ValueError):
        pass
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def parse_calls(text, tools):
    """(content before the first call, [(name, arguments)]) by the longcat_xml rules (section 6.2): a block needs a
    newline after the name, an unknown name gives no call, keys and values are stripped and typed from the schema."""
    start = text.find("<longcat_tool_call>")
    if start < 0:
        return text, []
    schemas = {t["function"]["name"]: t["function"].get("parameters", {}).get("properties", {}) for t in tools or []}
    calls = []
    for m in CALL_RE.finditer(text):
        body = m.group(1)
        if "\n" not in body:
            continue
        name, rest = body.split("\n", 1)
        name = name.strip()
        if name not in schemas:
            continue
        args = {}
        for k, v in PAIR_RE.findall(rest):
            k, v = k.strip(), v.strip()
            args[k] = _restore(v, schemas[name].get(k, {}).get("type"))
        calls.append((name, args))
    return text[:start], calls


def split_output(ids, tok, thinking):
    """The generated ids of one turn -> dict: reasoning / answer text, reasoning token count, and whether it has the
    shape `{reasoning}\\n</longcat_think>\\n{answer}</longcat_s>` (thinking on) or `{answer}</longcat_s>` (off)."""
    close = tok.token_id(T.THINK_CLOSE)
    opn = tok.token_id(T.THINK_OPEN)
    ended = bool(ids) and ids[-1] == EOS_ID
    body = ids[:-1] if ended else ids
    text = tok.decode(body)
    out = {"ended": ended, "text": tok.decode(ids)}
    if thinking:
        if close not in body:
            out.update(ok=False, reasoning=text, answer="", reasoning_tokens=len(body))
            return out
        j = body.index(close)
        reasoning, answer = tok.decode(body[:j]), tok.decode(body[j + 1:])
        out["reasoning_tokens"] = len(tok.encode(reasoning.rstrip("\n")))
        out["reasoning"], out["answer"] = reasoning.rstrip("\n"), answer[1:] if answer.startswith("\n") else answer
        out["ok"] = (ended and reasoning.endswith("\n") and answer.startswith("\n") and len(reasoning.strip()) > 0
                     and len(out["answer"].strip()) > 0 and opn not in body and body.count(close) == 1)
    else:
        out.update(reasoning="", answer=text, reasoning_tokens=0,
                   ok=ended and len(text.strip()) > 0 and opn not in body and close not in body)
    return out


def gen(model, tok, prompt, max_new=200):
    return evaluate.generate(model, tok.encode(prompt), max_new)


@torch.no_grad()
def chat_eval(model, tok, n, seed, thinking):
    rng = random.Random(seed)
    res, lens, examples, exact = [], [], [], 0
    for i in range(n):
        q, a, _ = D.chat_turn(rng, D._VERSES, D._INDEX)
        msgs = [{"role": "user", "content": q}]
        prompt = T.render(msgs, enable_thinking=thinking)
        o = split_output(gen(model, tok, prompt), tok, thinking)
        res.append(o["ok"])
        exact += o["answer"].strip() == a
        if thinking and o["ok"]:
            lens.append(o["reasoning_tokens"])
        if i < 6:
            examples.append({"prompt": prompt, "output": o["text"]})
    out = {"n": n, "well_formed_fraction": sum(res) / n, "exact_answer_fraction": exact / n, "examples": examples}
    if thinking:
        lens.sort()
        out["reasoning_tokens"] = {"n": len(lens), "min": lens[0] if lens else None, "median": lens[len(lens) // 2] if lens else None,
                                   "max": lens[-1] if lens else None, "mean": sum(lens) / max(1, len(lens)),
                                   "over_16_fraction": sum(1 for x in lens if x > BUDGET) / max(1, len(lens))}
    return out


def _typed_ok(args, expected, tool):
    """Every expected argument present with the schema's JSON type (integer, string, object, boolean)."""
    props = tool["parameters"]["properties"]
    check = {"integer": lambda v: isinstance(v, int) and not isinstance(v, bool), "string": lambda v: isinstance(v, str),
             "object": lambda v: isinstance(v, dict), "boolean": lambda v: isinstance(v, bool), "number": lambda v: isinstance(v, (int, float))}
    return all(k in args and check[props[k]["type"]](args[k]) for k in expected)


def _answer_ok(kind, args, result, answer):
    if kind == "reminder":
        return str(args["minutes"]) in answer and args["message"] in answer
    if kind == "clock":
        try:
            v = json.loads(result)
            t = v["time"] if isinstance(v, dict) else result
        except (json.JSONDecodeError, ValueError):
            t = result
        return str(t) in answer
    try:
        v = json.loads(result)
        v = v["result"] if isinstance(v, dict) else v
    except (json.JSONDecodeError, ValueError):
        v = result
    return str(v) in answer


@torch.no_grad()
def tool_eval(model, tok, n, seed, fixed=False, thinking=True, examples_n=4):
    """Held-out tool questions (cities, activities and numbers not trained on): greedy first turn, parsed; then the
    second turn given the tool result."""
    rng = random.Random(seed)
    c = {"well_formed": 0, "parseable": 0, "right_tool": 0, "typed_args": 0, "exact_args": 0, "answer_quotes_result": 0,
         "answer_well_formed": 0}
    per_kind = {}
    examples = []
    for i in range(n):
        kind = ["reminder", "add", "clock", "multiply"][i % 4] if not fixed else ["reminder", "add", "clock"][i % 3]
        msgs, tools, kw = D.tool_conversation(rng, thinking, chatdata.HELD_OUT_CITIES, D.HELD_OUT_ACTIVITIES, kind=kind,
                                              tools=list(D.FIXED_TOOLS) if fixed else None)
        while msgs[0]["role"] != "user" or len(msgs) != 4:     # only the plain exchange: user, call, result, answer
            msgs, tools, kw = D.tool_conversation(rng, thinking, chatdata.HELD_OUT_CITIES, D.HELD_OUT_ACTIVITIES, kind=kind,
                                                  tools=list(D.FIXED_TOOLS) if fixed else None)
        expected = msgs[1]["tool_calls"][0]["function"]
        tool = next(t["function"] for t in tools if t["function"]["name"] == expected["name"])
        prompt = T.render(msgs[:1], tools, **kw)
        o = split_output(gen(model, tok, prompt, 220), tok, thinking)
        _, calls = parse_calls(o["answer"] if thinking else o["text"], tools)
        call = calls[0] if calls else None
        c["well_formed"] += o["ended"] and (not thinking or o["ok"])
        c["parseable"] += call is not None
        right = call is not None and call[0] == expected["name"]
        c["right_tool"] += right
        typed = right and _typed_ok(call[1], expected["arguments"], tool)
        c["typed_args"] += typed
        c["exact_args"] += right and call[1] == expected["arguments"]
        k = per_kind.setdefault(kind, {"n": 0, "right_tool": 0, "typed_args": 0, "exact_args": 0})
        k["n"] += 1
        k["right_tool"] += right
        k["typed_args"] += typed
        k["exact_args"] += right and call[1] == expected["arguments"]
        prompt2 = T.render(msgs[:3], tools, **kw)
        o2 = split_output(gen(model, tok, prompt2, 160), tok, thinking)
        c["answer_well_formed"] += o2["ok"]
        c["answer_quotes_result"] += o2["ok"] and _answer_ok(kind, expected["arguments"], msgs[2]["content"], o2["answer"])
        if i < examples_n:
            examples.append({"tools": [t["function"]["name"] for t in tools], "question": msgs[0]["content"],
                             "output": o["text"], "parsed": call, "expected": [expected["name"], expected["arguments"]],
                             "tool_result": msgs[2]["content"], "answer": o2["text"]})
    out = {k + "_fraction": v / n for k, v in c.items()}
    out.update(n=n, per_kind=per_kind, examples=examples)
    return out


@torch.no_grad()
def sdk_prompts(model, tok):
    """The SDK tests' exact prompts with FIXED_TOOLS: verbatim greedy outputs, parsed, and the answer after a result."""
    tools = T.openai_tools(D.FIXED_TOOLS)
    out = []
    for question, result in [("Remind me to pray in 15 minutes.", '{"id": 7, "status": "created"}'), ("What is 12 plus 30?", "42")]:
        msgs = [{"role": "user", "content": question}]
        row = {"question": question}
        for thinking in (True, False):
            prompt = T.render(msgs, tools, enable_thinking=thinking)
            ids = gen(model, tok, prompt, 220)
            o = split_output(ids, tok, thinking)
            _, calls = parse_calls(o["answer"] if thinking else o["text"], tools)
            key = "thinking" if thinking else "no_thinking"
            row[key] = {"output": o["text"], "well_formed": o["ok"] if thinking else o["ended"], "calls": calls,
                        "reasoning_tokens": o["reasoning_tokens"]}
            if calls:
                c = calls[0]
                r2 = {"role": "assistant", "content": "", "reasoning_content": o["reasoning"], "tool_calls": [T.call(c[0], c[1])]}
                msgs2 = msgs + [r2, {"role": "tool", "name": c[0], "content": result}]
                o2 = split_output(gen(model, tok, T.render(msgs2, tools, enable_thinking=thinking), 160), tok, thinking)
                row[key]["tool_result"] = result
                row[key]["answer"] = o2["text"]
        out.append(row)
    return out


@torch.no_grad()
def decline_eval(model, tok, n, seed):
    rng = random.Random(seed)
    ok = 0
    examples = []
    for i in range(n):
        msgs, tools, kw = D.no_tool_conversation(rng, True, chatdata.HELD_OUT_CITIES, D.HELD_OUT_ACTIVITIES)
        o = split_output(gen(model, tok, T.render(msgs[:1], tools, **kw)), tok, True)
        good = o["ok"] and "<longcat_tool_call>" not in o["answer"]
        ok += good
        if i < 2:
            examples.append({"tools": [t["function"]["name"] for t in tools], "question": msgs[0]["content"], "output": o["text"]})
    return {"n": n, "declined_in_text_fraction": ok / n, "examples": examples}


@torch.no_grad()
def summary_eval(model, tok, n, seed):
    rng = random.Random(seed)
    ok = wf = mention = 0
    examples = []
    for i in range(n):
        msgs, tools, kw = D.summary_conversation(rng, True)
        o = split_output(gen(model, tok, T.render(msgs[:1], tools, **kw), 220), tok, True)
        wf += o["ok"]
        ok += o["ok"] and o["answer"].strip() == msgs[1]["content"]
        mention += "thinker" in o["answer"].lower()
        if i < 2:
            examples.append({"prompt": msgs[0]["content"], "expected": msgs[1]["content"], "output": o["text"]})
    return {"n": n, "well_formed_fraction": wf / n, "majority_answer_fraction": ok / n, "mentions_thinkers": mention, "examples": examples}


@torch.no_grad()
def forced_close_eval(model, tok, n, seed, insert):
    """A thinking budget of 16 tokens: after 16 reasoning tokens without `</longcat_think>`, `insert` (text holding the
    end tag) is appended and decoding goes on; counts continuations that are an answer ending with `</longcat_s>`."""
    rng = random.Random(seed)
    close = tok.token_id(T.THINK_CLOSE)
    forced = ok = 0
    examples = []
    for i in range(n):
        q, a, _ = D.chat_turn(rng, D._VERSES, D._INDEX)
        ids = tok.encode(T.render([{"role": "user", "content": q}]))
        first = evaluate.generate(model, ids, BUDGET, stop=(EOS_ID, close))
        if close in first or EOS_ID in first:
            continue
        forced += 1
        ins = tok.encode(insert)
        rest = evaluate.generate(model, ids + first + ins, 160)
        text = tok.decode(rest)
        good = bool(rest) and rest[-1] == EOS_ID and close not in rest and tok.token_id(T.THINK_OPEN) not in rest and len(text.strip("\n").replace(T.END_OF_TURN, "").strip()) > 0
        ok += good
        if len(examples) < 3:
            examples.append({"question": q, "reasoning_16": tok.decode(first), "inserted": insert, "continuation": text})
    return {"n": n, "forced": forced, "answer_after_forced_close_fraction": ok / max(1, forced), "examples": examples}


@torch.no_grad()
def mtp_acceptance_on_thinking(model, tok, verses, n):
    """Greedy k=1 MTP acceptance on the model's own thinking-mode output (reasoning and answer) for held-out chat prompts."""
    rng = random.Random(77)
    acc = tot = 0
    for _ in range(n):
        q, _, _ = D.chat_turn(rng, D._VERSES, D._INDEX)
        ids = tok.encode(T.render([{"role": "user", "content": q}]))
        g = evaluate.generate(model, ids, 160)
        seq = torch.tensor([ids + g], dtype=torch.long)
        L = seq.shape[1]
        h, _ = model(seq[:, :L - 1])
        d = model.mtp_forward(seq[:, 1:L], h)
        first = len(ids) - 1
        draft = d[0, first:L - 2].argmax(-1)
        target = seq[0, first + 2:L]
        acc += (draft == target).sum().item()
        tot += target.numel()
    return acc / max(1, tot)


def evaluate_all(model, tok, held_v, seed, n, log):
    D.set_verses(held_v)
    m = {}
    log("eval: reasoning chat (thinking on)")
    m["chat_thinking"] = chat_eval(model, tok, n, seed, True)
    log("eval: chat with thinking off")
    m["chat_no_thinking"] = chat_eval(model, tok, max(4, n // 2), seed, False)
    log("eval: tool questions, random tool sets")
    m["tool"] = tool_eval(model, tok, n, seed + 1)
    log("eval: tool questions, the SDK's tool set [Clock-GetCurrentTime, Calculator-Add, Reminder-Create]")
    m["tool_fixed"] = tool_eval(model, tok, max(3, n // 2), seed + 2, fixed=True)
    log("eval: tool questions, thinking off")
    m["tool_no_thinking"] = tool_eval(model, tok, max(4, n // 4), seed + 3, thinking=False, examples_n=2)
    log("eval: the SDK's prompts")
    m["sdk_prompts"] = sdk_prompts(model, tok)
    log("eval: questions no offered tool covers")
    m["decline"] = decline_eval(model, tok, max(4, n // 3), seed + 4)
    log("eval: Heavy Thinking summaries")
    m["summary"] = summary_eval(model, tok, max(4, n // 2), seed + 5)
    log("eval: forced end of thinking after 16 tokens")
    m["forced_close"] = forced_close_eval(model, tok, max(4, n // 2), seed + 6, T.THINK_CLOSE)
    m["forced_close_newlines"] = forced_close_eval(model, tok, max(4, n // 2), seed + 6, "\n" + T.THINK_CLOSE + "\n")
    return m


def summary(m):
    """The headline numbers (for the log)."""
    ct, t, tf = m["chat_thinking"], m["tool"], m["tool_fixed"]
    return {"think_well_formed": ct["well_formed_fraction"], "reasoning_tokens": ct.get("reasoning_tokens"),
            "no_think_well_formed": m["chat_no_thinking"]["well_formed_fraction"],
            "tool": {k: t[k] for k in t if k.endswith("_fraction")}, "tool_fixed": {k: tf[k] for k in tf if k.endswith("_fraction")},
            "tool_no_thinking_right_tool": m["tool_no_thinking"]["right_tool_fraction"],
            "decline": m["decline"]["declined_in_text_fraction"], "summary": m["summary"]["majority_answer_fraction"],
            "forced_close": m["forced_close"]["answer_after_forced_close_fraction"],
            "forced_close_newlines": m["forced_close_newlines"]["answer_after_forced_close_fraction"],
            "sdk": [[r["question"], r["thinking"]["calls"]] for r in m["sdk_prompts"]]}
