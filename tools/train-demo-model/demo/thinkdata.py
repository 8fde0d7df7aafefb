"""Synthetic LongCat-Flash-Thinking-2601 conversations for models/longcat-thinking-demo, all drawn from a seeded RNG and
rendered by the Jinja chat template (demo/thinktemplate.py) with Python's jinja2, so the training text is what the SDK
renders. Loss on the model's output only (reasoning, answer, tool calls, `</longcat_s>`).

Kinds: reasoning chat (verse completion, next verse, a verse about a word, repeat, small talk) with synthetic reasoning;
the same without thinking; 1-3 rounds (history reasoning dropped as the template does); tool use in the XML format with a
clock, a calculator and a reminder tool (call, result, answer; declines when no offered tool fits); Heavy Thinking
summaries (several answers to one question in the summary prompt, the majority answer as the result); forced ends of
thinking (the reasoning cut short by `</longcat_think>`, as a thinking budget does, then the answer).
"""
import random
from dataclasses import dataclass

import torch

from . import chatdata, data
from . import thinktemplate as T

# ----------------------------------------------------------------------------------------------------------- tools

_SK = {e[1][0]["name"]: e[1][0] for e in chatdata.sk_style_tools()}
CLOCK = _SK["Clock-GetCurrentTime"]
ADD = _SK["Calculator-Add"]
MULTIPLY = _SK["Calculator-Multiply"]
REMINDER = {
    "name": "Reminder-Create",
    "description": "Create a reminder.",
    "parameters": {"type": "object", "properties": {
        "minutes": {"type": "integer", "description": "Minutes from now."},
        "message": {"type": "string", "description": "What to remind."},
        "options": {"type": "object", "description": "Reminder options.",
                    "properties": {"repeat": {"type": "boolean"}, "sound": {"type": "string"}}}},
        "required": ["minutes", "message", "options"]},
}
ALL_TOOLS = [CLOCK, ADD, MULTIPLY, REMINDER]
FIXED_TOOLS = [CLOCK, ADD, REMINDER]            # the set the SDK's tests advertise, in this order
SK_TOOLS = [CLOCK, ADD, MULTIPLY]               # longcat-demo's Semantic Kernel-style set

TRAIN_ACTIVITIES = [
    "pray", "read the Psalms", "call my mother", "feed the sheep", "drink water", "water the garden", "take my medicine",
    "check the oven", "go to the market", "write a letter", "rest", "stretch", "walk the dog", "bake bread",
    "light the lamp", "close the windows", "fetch water", "visit my brother", "sing a hymn", "read a chapter",
    "call Peter", "pay the workers", "mend the net", "milk the goats", "sweep the house", "study", "sleep",
    "eat", "leave for the temple", "open the gate",
]
HELD_OUT_ACTIVITIES = ["wash the dishes", "buy bread", "call the doctor", "feed the cat", "plant the seeds",
                       "fold the laundry", "read", "pack the bags"]
COMMON_MINUTES = [5, 10, 15, 20, 25, 30, 40, 45, 60, 90]

REMINDER_QUESTIONS = ["Remind me to {m} in {n} minutes.", "Set a reminder to {m} in {n} minutes.",
                      "In {n} minutes, remind me to {m}.", "Remind me in {n} minutes to {m}.",
                      "Please remind me to {m} in {n} minutes.", "Create a reminder to {m} in {n} minutes."]
REMINDER_OPTIONS = [("", {"repeat": False, "sound": "bell"}, "the default options"),
                    (" Repeat it.", {"repeat": True, "sound": "bell"}, "options that repeat it"),
                    (" Use a chime.", {"repeat": False, "sound": "chime"}, "options with the chime sound"),
                    (" Ring a gong.", {"repeat": False, "sound": "gong"}, "options with the gong sound")]
NO_TOOL_ANSWERS = ["I cannot do that with the tools I have.", "None of my tools can answer that."]

# The exact questions the SDK's tests send (with FIXED_TOOLS advertised): a small share of the tool conversations.
SDK_QUESTIONS = [("reminder", "Remind me to pray in 15 minutes."), ("add", "What is 12 plus 30?")]


def _reminder_case(rng, activities, minutes=None, activity=None, question=None):
    n = minutes if minutes is not None else (rng.choice(COMMON_MINUTES) if rng.random() < 0.6 else rng.randint(1, 120))
    msg = activity or rng.choice(activities)
    suffix, options, how = REMINDER_OPTIONS[0] if rng.random() < 0.7 else rng.choice(REMINDER_OPTIONS[1:])
    q = question or rng.choice(REMINDER_QUESTIONS).format(m=msg, n=n) + suffix
    if question:
        suffix, options, how = REMINDER_OPTIONS[0]
    args = {"minutes": n, "message": msg, "options": options}
    reasoning = rng.choice([
        f"The user wants a reminder to {msg} in {n} minutes. The Reminder-Create tool can do it. "
        f"I will call it with minutes {n}, the message \"{msg}\" and {how}.",
        f"The user asks me to remind them to {msg} in {n} minutes. Reminder-Create creates reminders, so I will call it "
        f"with {n} minutes, the message \"{msg}\" and {how}.",
    ])
    rid = rng.randrange(1, 1000)
    result = rng.choice([f'{{"id": {rid}, "status": "created"}}', "Reminder created.", f'{{"reminder_id": {rid}}}'])
    after = rng.choice([
        f"The Reminder-Create tool answered {result} so the reminder exists. I will tell the user I will remind them to {msg} in {n} minutes.",
        f"The reminder was created. I will confirm to the user that I will remind them to {msg} in {n} minutes.",
    ])
    answer = rng.choice([f"I will remind you to {msg} in {n} minutes.", f"Done. I will remind you to {msg} in {n} minutes.",
                         f"Your reminder to {msg} is set for {n} minutes from now."])
    return q, REMINDER, args, reasoning, result, after, answer


def _calc_case(rng, op, a=None, b=None, question=None):
    a = chatdata._number(rng) if a is None else a
    b = chatdata._number(rng) if b is None else b
    tool = ADD if op == "add" else MULTIPLY
    q = question or rng.choice(chatdata.CALC_QUESTIONS[op]).format(a=a, b=b)
    v = a + b if op == "add" else a * b
    word, verb = chatdata.OP_WORD[op], ("add" if op == "add" else "multiply")
    reasoning = rng.choice([
        f"The user asks for {a} {word} {b}. The {tool['name']} tool can {verb} two numbers. I will call it with a = {a} and b = {b}.",
        f"I need {a} {word} {b}. {tool['name']} does that, so I will call it with a = {a} and b = {b} and use its result.",
    ])
    result = str(v) if rng.random() < 0.7 else f'{{"result": {v}}}'
    after = rng.choice([f"The {tool['name']} tool returned {result}. So {a} {word} {b} is {v}. I will give the user the answer.",
                        f"The tool says the result is {v}. That is {a} {word} {b}, so I will answer with {v}."])
    answer = rng.choice([f"{a} {word} {b} is {v}.", f"The answer is {v}.", f"{a} {chatdata.OP_SYMBOL[op]} {b} = {v}."])
    return q, tool, {"a": a, "b": b}, reasoning, result, after, answer


def _clock_case(rng, cities):
    city = rng.choice(cities)
    q = rng.choice(chatdata.CLOCK_QUESTIONS).format(p=city)
    t = chatdata._time(rng)
    reasoning = rng.choice([
        f"The user asks for the time in {city}. The Clock-GetCurrentTime tool can tell it. I will call it with the city \"{city}\".",
        f"The user wants to know what time it is in {city}. Clock-GetCurrentTime gives the time in a city, so I will call it with \"{city}\".",
    ])
    result = t if rng.random() < 0.6 else f'{{"city": "{city}", "time": "{t}"}}'
    after = rng.choice([f"The Clock-GetCurrentTime tool answered {result}. So the time in {city} is {t}. I will tell the user.",
                        f"The tool says it is {t} in {city}. I will give the user that time in one sentence."])
    answer = rng.choice([f"It is {t} in {city}.", f"The current time in {city} is {t}.", f"In {city} it is {t}."])
    return q, CLOCK, {"city": city}, reasoning, result, after, answer


def tool_case(rng, kind, cities, activities):
    if kind == "reminder":
        return _reminder_case(rng, activities)
    if kind in ("add", "multiply"):
        return _calc_case(rng, kind)
    return _clock_case(rng, cities)


def _tool_set(rng, needed):
    """1-3 tools with `needed` among them: the SDK's fixed set a third of the time, else a random set."""
    r = rng.random()
    if r < 0.35 and needed in FIXED_TOOLS:
        return list(FIXED_TOOLS)
    if r < 0.45 and needed in SK_TOOLS:
        return list(SK_TOOLS)
    others = [t for t in ALL_TOOLS if t is not needed]
    tools = [needed] + rng.sample(others, rng.choice([0, 1, 1, 2, 2]))
    rng.shuffle(tools)
    return tools


@dataclass(frozen=True)
class Profile:
    """The shares of a mixture's kinds (cumulative cut points of one uniform draw each). The defaults are stage 1's."""
    kind_cuts: tuple = (0.4, 0.65, 0.8)              # tool questions: reminder | add | multiply | clock
    chat_cuts: tuple = (0.15, 0.3, 0.7, 0.82)        # chat rounds: small talk | repeat | continue | next verse | topic
    decline_below: float = 0.1                       # tool conversations: a decline below this draw,
    sdk_below: float = 0.14                          # then one of SDK_QUESTIONS below this one


STAGE1 = Profile()
# Stage 2: the tool kinds balanced (stage 1's model called Reminder-Create for most questions), more small talk and more
# of the SDK tests' exact questions.
STAGE2 = Profile(kind_cuts=(0.3, 0.6, 0.75), chat_cuts=(0.25, 0.38, 0.72, 0.84), decline_below=0.1, sdk_below=0.2)
PROFILE = STAGE1


def _kind(rng):
    r = rng.random()
    c = PROFILE.kind_cuts
    return "reminder" if r < c[0] else "add" if r < c[1] else "multiply" if r < c[2] else "clock"


def tool_conversation(rng, thinking, cities=chatdata.TRAIN_CITIES, activities=TRAIN_ACTIVITIES, with_answer=True,
                      kind=None, tools=None, sdk=False):
    """A tool-use exchange: (messages, tools as OpenAI-shaped dicts, kwargs). sdk: one of SDK_QUESTIONS with FIXED_TOOLS."""
    if sdk:
        kind, question = rng.choice(SDK_QUESTIONS)
        case = (_reminder_case(rng, activities, 15, "pray", question) if kind == "reminder"
                else _calc_case(rng, "add", 12, 30, question))
        tools = list(FIXED_TOOLS)
    else:
        kind = kind or _kind(rng)
        case = tool_case(rng, kind, cities, activities)
        tools = tools or _tool_set(rng, case[1])
    q, tool, args, reasoning, result, after, answer = case
    msgs = []
    if rng.random() < 0.15:
        msgs.append({"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
    if not sdk and rng.random() < 0.12:      # an earlier round (its reasoning dropped by the template)
        hq, ha, hr = chat_turn(rng, _VERSES, _INDEX)
        msgs += [{"role": "user", "content": hq}, {"role": "assistant", "content": ha, "reasoning_content": hr}]
    msgs.append({"role": "user", "content": q})
    msgs.append({"role": "assistant", "content": "", "reasoning_content": reasoning, "tool_calls": [T.call(tool["name"], args)]})
    if with_answer:
        msgs.append({"role": "tool", "name": tool["name"], "content": result})
        msgs.append({"role": "assistant", "content": answer, "reasoning_content": after})
        if not sdk and rng.random() < 0.1:   # the tool exchange becomes history: a new question follows
            hq, ha, hr = chat_turn(rng, _VERSES, _INDEX)
            msgs += [{"role": "user", "content": hq}, {"role": "assistant", "content": ha, "reasoning_content": hr}]
    return msgs, T.openai_tools(tools), {"enable_thinking": thinking}


def no_tool_conversation(rng, thinking, cities=chatdata.TRAIN_CITIES, activities=TRAIN_ACTIVITIES):
    """A question that needs a tool none of the offered ones provides: the assistant declines in text."""
    kind = _kind(rng)
    q = tool_case(rng, kind, cities, activities)[0]
    needed = {"reminder": REMINDER, "add": ADD, "multiply": MULTIPLY, "clock": CLOCK}[kind]
    pool = [t for t in ALL_TOOLS if t is not needed and not (kind in ("add", "multiply") and t in (ADD, MULTIPLY))]
    tools = rng.sample(pool, rng.randint(1, min(2, len(pool))))
    names = " and ".join(t["name"] for t in tools)
    what = {"reminder": "create a reminder", "add": "add numbers", "multiply": "multiply numbers", "clock": "tell the time"}[kind]
    reasoning = rng.choice([f"The user needs a tool that can {what}. The offered tools are {names}. None of them can {what}, so I cannot do it.",
                            f"To answer I would have to {what}. I only have {names}, and they cannot {what}. I will say that I cannot do it."])
    msgs = [{"role": "user", "content": q}, {"role": "assistant", "content": rng.choice(NO_TOOL_ANSWERS), "reasoning_content": reasoning}]
    return msgs, T.openai_tools(tools), {"enable_thinking": thinking}


# ------------------------------------------------------------------------------------------------------ plain chat

SYSTEM_PROMPTS = ["You are a helpful assistant.", "You are LongCat thinking demo, a small model that thinks before it answers.",
                  "Answer briefly.", "You quote the King James Bible."]
SMALL_TALK = [
    (["Hello", "Hi", "Hello!", "Hi there", "Good morning"],
     ["The user greets me. I will greet them back and tell them what I can do for them.",
      "This is a greeting. I will say hello and offer to continue a verse of the King James Bible."],
     ["Hello! I am LongCat thinking demo. Give me the start of a verse and I will think, then continue it.",
      "Hello! Ask me to continue a verse of the King James Bible."]),
    (["Who are you?", "What are you?", "What is your name?"],
     ["The user asks who I am. I am LongCat thinking demo, a small LongCat-Flash model. I will say so in one sentence.",
      "The user wants to know what I am. I am a small LongCat-Flash model that writes its reasoning first. I will tell them."],
     ["I am LongCat thinking demo, a small LongCat-Flash model that thinks before it answers.",
      "I am LongCat thinking demo, a small LongCat-Flash model trained on the King James Bible. I think before I answer."]),
    (["What can you do?", "Help", "How do I use you?"],
     ["The user asks what I can do. I continue verses of the King James Bible and use tools when they are offered. I will explain that.",
      "The user wants help. I will explain that I think first, then continue verses or call a clock, calculator or reminder tool."],
     ["I can continue verses of the King James Bible, quote a verse about a word, and call a clock, a calculator or a reminder tool when one is offered.",
      "Give me the start of a verse and I will finish it. With tools, I can tell the time, do arithmetic or set a reminder."]),
    (["Thank you", "Thanks!", "Thank you very much."],
     ["The user thanks me. There is nothing more to do, so I will answer politely in one short sentence.",
      "The user is thanking me for the help. I will reply briefly and kindly, with a short sentence."],
     ["You are welcome.", "Glad to help."]),
]


def chat_turn(rng, verses, index_by_word):
    """(question, answer, reasoning) for one round without tools."""
    r = rng.random()
    c = PROFILE.chat_cuts
    if r < c[0]:
        qs, rs, answers = rng.choice(SMALL_TALK)
        return rng.choice(qs), rng.choice(answers), rng.choice(rs)
    if r < c[1]:
        q, x = chatdata.repeat_turn(rng, verses)
        return q, x, rng.choice([f"The user wants me to repeat \"{x}\". I will write the same words back, exactly as they are.",
                                 f"This is a request to repeat some words: \"{x}\". I will answer with exactly those words and nothing else."])
    if r < c[2]:
        i = rng.randrange(len(verses))
        v = verses[i]
        words = v.text.split(" ")
        k = 1 if len(words) < 4 else rng.randint(2, min(10, len(words) - 2))
        p, rest = " ".join(words[:k]), " ".join(words[k:])
        q = rng.choice(chatdata.CONTINUE_PROMPTS).format(p=p)
        reasoning = rng.choice([
            f"The user wants the rest of a verse that begins \"{p}\". It is {v.ref}. I will write the rest of it.",
            f"This is the start of {v.ref}: \"{p}\". The user wants me to finish the verse, so I will continue it.",
            f"The words \"{p}\" begin a verse of the King James Bible, {v.ref}. I will complete the verse from there.",
        ])
        return q, rest, reasoning
    if r < c[3]:
        i = rng.randrange(len(verses) - 1)
        q = rng.choice(chatdata.NEXT_PROMPTS).format(v=verses[i].text)
        reasoning = rng.choice([f"The user quotes {verses[i].ref} and wants the verse after it. That is {verses[i + 1].ref}. I will quote it.",
                                f"This verse is {verses[i].ref}. The next verse is {verses[i + 1].ref}, so I will write that one for the user."])
        return q, verses[i + 1].text, reasoning
    w = rng.choice(chatdata.TOPIC_WORDS)
    cands = index_by_word.get(w)
    if not cands:
        return chat_turn(rng, verses, index_by_word)
    v = verses[rng.choice(cands)]
    q = rng.choice(chatdata.TOPIC_PROMPTS).format(w=w)
    reasoning = rng.choice([f"The user wants a verse about {w}. {v.ref} mentions {w}. I will quote that verse.",
                            f"I need a verse with the word {w} in it. {v.ref} has it, so I will quote {v.ref} in full."])
    return q, v.text, reasoning


_VERSES, _INDEX = None, None


def set_verses(verses):
    """The verses chat turns are drawn from (training verses, or held-out ones for evaluation)."""
    global _VERSES, _INDEX
    _VERSES, _INDEX = verses, chatdata.word_index(verses)


def chat_conversation(rng, thinking):
    """1-3 rounds without a tool call (sometimes with tools offered that the question does not need)."""
    msgs, tools = [], None
    if rng.random() < 0.2:
        tools = rng.sample(ALL_TOOLS, rng.randint(1, 3))
    if rng.random() < 0.2:
        msgs.append({"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
    rounds = 1 if rng.random() < 0.65 else rng.randint(2, 3)
    for _ in range(rounds):
        q, a, r = chat_turn(rng, _VERSES, _INDEX)
        msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a, "reasoning_content": r}]
    kw = {"enable_thinking": thinking}
    if thinking and rounds > 1 and rng.random() < 0.1:
        kw["save_history_reasoning_content"] = True
    return msgs, T.openai_tools(tools), kw


# ------------------------------------------------------------------------------------------ Heavy Thinking summary

def summary_conversation(rng, thinking, cities=chatdata.TRAIN_CITIES):
    """The summary turn of Heavy Thinking: N (2-4) answers to a question, the majority right; the result is that answer."""
    n = rng.randint(2, 4)
    n_wrong = 0 if rng.random() < 0.4 else rng.randint(0, (n - 1) // 2)
    kind = rng.random()
    if kind < 0.45:                                          # verse completion
        v = rng.choice(_VERSES)
        words = v.text.split(" ")
        k = 1 if len(words) < 4 else rng.randint(2, min(8, len(words) - 2))
        p, right = " ".join(words[:k]), " ".join(words[k:])
        question = rng.choice(chatdata.CONTINUE_PROMPTS).format(p=p)
        wrong = [" ".join(rng.choice(_VERSES).text.split(" ")[k:]) or "Amen." for _ in range(n_wrong)]
        what, right_short = f"the rest of {v.ref}", None
    elif kind < 0.85:                                        # arithmetic
        op = rng.choice(["add", "multiply", "subtract"])
        a, b = chatdata._number(rng), chatdata._number(rng)
        value = a + b if op == "add" else a * b if op == "multiply" else a - b
        question = rng.choice(chatdata.CALC_QUESTIONS[op]).format(a=a, b=b)
        style = rng.choice([f"{a} {chatdata.OP_WORD[op]} {b} is {{}}.", "The answer is {}.", f"{a} {chatdata.OP_SYMBOL[op]} {b} = {{}}."])
        right = style.format(value)
        offs = rng.sample([-10, -2, -1, 1, 2, 10, 100], n_wrong)
        wrong = [style.format(value + d) for d in offs]
        what, right_short = f"{a} {chatdata.OP_WORD[op]} {b}", str(value)
    else:                                                    # small talk
        qs, rs, answers = rng.choice(SMALL_TALK)
        question = rng.choice(qs)
        right = rng.choice(answers)
        wrong = [rng.choice(rng.choice([s for s in SMALL_TALK if s[0] is not qs])[2]) for _ in range(n_wrong)]
        what, right_short = "a reply to the user", None
    answers = [right] * (n - n_wrong) + wrong
    rng.shuffle(answers)
    good = [i + 1 for i, x in enumerate(answers) if x == right]
    bad = [i + 1 for i, x in enumerate(answers) if x != right]
    nums = lambda xs: ", ".join(str(x) for x in xs[:-1]) + (" and " if len(xs) > 1 else "") + str(xs[-1])
    if not bad:
        reasoning = rng.choice([f"All {n} answers agree. They give {what}" + (f", which is {right_short}" if right_short else "") +
                                ". I will write that answer as my own.",
                                f"The {n} answers are the same, and they give {what}. Nothing is in doubt, so I will give that answer."])
    else:
        reasoning = rng.choice([f"Answers {nums(good)} agree and answer {nums(bad)} differs. The question asks for {what}"
                                + (f", which is {right_short}" if right_short else "") + ", so the majority is right. I will write their answer.",
                                f"Most answers ({nums(good)}) give the same result; {nums(bad)} gives another. I checked {what}: the majority is right, and I will answer with it."])
    msgs = [{"role": "user", "content": T.summary_prompt(question, answers)},
            {"role": "assistant", "content": right, "reasoning_content": reasoning}]
    return msgs, None, {"enable_thinking": thinking}


# ------------------------------------------------------------------------------------------------- encoding, rows

def encode(tok, messages, tools, kwargs):
    ids, mask = [], []
    for text, trained in T.render_spans(messages, tools, **kwargs):
        piece = tok.encode(text)
        ids += piece
        mask += [1 if trained else 0] * len(piece)
    return data.Encoded(ids, mask)


def encode_forced_close(tok, rng, messages, tools, kwargs):
    """A one-round thinking conversation whose reasoning a thinking budget cut: the first k reasoning tokens (trained),
    then `\\n</longcat_think>` or `</longcat_think>` inserted (not trained), then `\\n{answer}</longcat_s>` (trained)."""
    prompt = T.render(messages[:-1], tools, add_generation_prompt=True, **kwargs)
    m = messages[-1]
    r = tok.encode(m["reasoning_content"])
    k = rng.choice([16, 16, rng.randint(4, 24)])
    k = min(k, len(r) - 1)
    close = (tok.encode("\n") if rng.random() < 0.5 else []) + [tok.token_id(T.THINK_CLOSE)]
    rest = tok.encode("\n" + m["content"] + T.END_OF_TURN)
    p = tok.encode(prompt)
    return data.Encoded(p + r[:k] + close + rest, [0] * len(p) + [1] * k + [0] * len(close) + [1] * len(rest))


class ThinkMixture:
    """Rows of the fine-tuning mixture: KJV text, chat, tools, summaries, in fixed proportions (see data.Mixture)."""

    def __init__(self, tok, verses, seed, n_chat=9000, n_tool=8000, n_summary=1500, p_thinking=0.8, progress=None,
                 profile=STAGE1):
        global PROFILE
        PROFILE = profile
        try:
            self._build(tok, verses, seed, n_chat, n_tool, n_summary, p_thinking, progress)
        finally:
            PROFILE = STAGE1

    def _build(self, tok, verses, seed, n_chat, n_tool, n_summary, p_thinking, progress):
        self.tok = tok
        self.rng = random.Random(seed)
        self.verse_ids = [tok.encode(v.text + "\n") for v in verses]
        self.book_end = data.book_ends(verses)
        set_verses(verses)
        g = random.Random(seed + 1)
        self.stats = {"reasoning_tokens": []}
        self.chat = []
        for _ in range(n_chat):
            thinking = g.random() < p_thinking
            msgs, tools, kw = chat_conversation(g, thinking)
            if thinking and len(msgs) == 2 and g.random() < 0.15:
                self.chat.append(encode_forced_close(tok, g, msgs, tools, kw))
            else:
                self.chat.append(encode(tok, msgs, tools, kw))
            if thinking:
                self.stats["reasoning_tokens"].append(len(tok.encode(msgs[-1]["reasoning_content"])))
        if progress:
            progress(f"data: {n_chat} chat conversations")
        self.tool = []
        for j in range(n_tool):
            thinking = g.random() < p_thinking
            r = g.random()
            if r < PROFILE.decline_below:
                msgs, tools, kw = no_tool_conversation(g, thinking)
            else:
                msgs, tools, kw = tool_conversation(g, thinking, sdk=r < PROFILE.sdk_below)
            self.tool.append(encode(tok, msgs, tools, kw))
        if progress:
            progress(f"data: {n_tool} tool conversations")
        self.summary = [encode(tok, *summary_conversation(g, g.random() < p_thinking)) for _ in range(n_summary)]
        if progress:
            mean = lambda pool: sum(len(c.ids) for c in pool) / len(pool)
            progress(f"data: {n_summary} summaries; mean tokens chat {mean(self.chat):.0f}, tool {mean(self.tool):.0f}, "
                     f"summary {mean(self.summary):.0f}")

    kjv_row = data.Mixture.kjv_row
    packed_row = data.Mixture.packed_row

    def batch(self, B, T_, mix):
        """(ids [B, T+2], mask [B, T+2]). mix: (kjv, chat, tool, summary) proportions."""
        rows = []
        for _ in range(B):
            r = self.rng.random()
            if r < mix[0]:
                rows.append(self.kjv_row(T_ + 2))
            elif r < mix[0] + mix[1]:
                rows.append(self.packed_row(self.chat, T_ + 2))
            elif r < mix[0] + mix[1] + mix[2]:
                rows.append(self.packed_row(self.tool, T_ + 2))
            else:
                rows.append(self.packed_row(self.summary, T_ + 2))
        return (torch.tensor([r[0] for r in rows], dtype=torch.long), torch.tensor([r[1] for r in rows], dtype=torch.float32))
