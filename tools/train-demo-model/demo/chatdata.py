"""Synthetic chat and tool-use conversations (message lists for template.render_spans), all drawn from a seeded RNG.

Kinds: verse completion ("Continue: In the beginning God" -> the rest of the verse), next verse, a verse about a word,
small talk about the model itself, multi-round mixes; and tool use with a clock and a calculator advertised in the
tools section (a tool call, the tool's result, a text answer), plus questions the tools do not cover.
"""
import json
import random

# ----------------------------------------------------------------------------------------------------------- tools

TRAIN_CITIES = [
    "Paris", "London", "Tokyo", "New York", "Berlin", "Madrid", "Rome", "Cairo", "Sydney", "Moscow", "Beijing",
    "Mumbai", "Toronto", "Chicago", "Seattle", "Boston", "Dublin", "Lisbon", "Vienna", "Prague", "Warsaw", "Athens",
    "Istanbul", "Dubai", "Singapore", "Seoul", "Bangkok", "Jakarta", "Manila", "Nairobi", "Lagos", "Lima", "Bogota",
    "Mexico City", "Buenos Aires", "Santiago", "Oslo", "Stockholm", "Helsinki", "Copenhagen", "Amsterdam", "Brussels",
    "Zurich", "Munich", "Hamburg", "Milan", "Naples", "Barcelona", "Denver", "Houston", "Miami", "Atlanta", "Phoenix",
    "Vancouver", "Montreal", "Auckland", "Perth", "Shanghai", "Hong Kong", "Taipei", "Hanoi", "Delhi", "Karachi",
    "Tehran", "Riyadh", "Jerusalem", "Casablanca", "Accra", "Kyiv", "Budapest",
]
HELD_OUT_CITIES = ["Los Angeles", "San Francisco", "Osaka", "Melbourne", "Edinburgh", "Florence", "Geneva",
                   "Kyoto", "Cape Town", "Rio de Janeiro", "Bucharest", "Belgrade"]
TIMEZONES = ["UTC", "GMT", "CET", "EST", "PST", "JST", "IST", "AEST"]


def _obj_schema(props, required, sk_order):
    # Semantic Kernel writes "type", "required", "properties"; hand-written schemas usually "type", "properties", "required".
    if sk_order:
        return {"type": "object", "required": required, "properties": props}
    return {"type": "object", "properties": props, "required": required}


def clock_tools():
    """Clock tool variants: (tool definition, argument name or None, argument kind 'city'|'timezone'|None)."""
    out = []
    for name in ["get_current_time", "get_time", "current_time", "Clock-GetCurrentTime", "clock"]:
        for arg in ["city", "location", "timezone", None]:
            if arg is None:
                params = {"type": "object", "properties": {}}
                desc = "Returns the current local time."
            elif arg == "timezone":
                params = _obj_schema({"timezone": {"type": "string", "description": "A time zone such as UTC or CET"}},
                                     ["timezone"], name.startswith("Clock-"))
                desc = "Get the current time in a time zone."
            else:
                params = _obj_schema({arg: {"type": "string", "description": f"The {arg}, e.g. Paris"}},
                                     [arg], name.startswith("Clock-"))
                desc = f"Get the current time in a {arg}." if arg == "city" else "Get the current local time at a location."
            out.append(({"name": name, "description": desc, "parameters": params}, arg, "timezone" if arg == "timezone" else (None if arg is None else "city")))
    return out


def calc_tools():
    """Calculator variants: (tool definition, op 'add'|'multiply'|'subtract'|'expr', (arg1, arg2) or ('expression',))."""
    out = []
    for op, names, verb in [("add", ["add", "Calculator-Add", "add_numbers"], "Add two numbers."),
                            ("multiply", ["multiply", "Calculator-Multiply", "multiply_numbers"], "Multiply two numbers."),
                            ("subtract", ["subtract", "Calculator-Subtract"], "Subtract the second number from the first.")]:
        for name in names:
            for a, b in [("a", "b"), ("x", "y")]:
                typ = "integer" if name.startswith("Calculator-") else "number"
                params = _obj_schema({a: {"type": typ}, b: {"type": typ}}, [a, b], name.startswith("Calculator-"))
                out.append(({"name": name, "description": verb, "parameters": params}, op, (a, b)))
    for name in ["calculator", "calculate", "evaluate"]:
        params = _obj_schema({"expression": {"type": "string", "description": "An arithmetic expression, e.g. 2 + 3"}},
                             ["expression"], False)
        out.append(({"name": name, "description": "Evaluate an arithmetic expression.", "parameters": params}, "expr", ("expression",)))
    return out


CLOCK_QUESTIONS = ["What time is it in {p}?", "What's the time in {p}?", "What is the current time in {p}?",
                   "Tell me the time in {p}.", "Can you tell me what time it is in {p}?", "Current time in {p}?",
                   "I need the time in {p}.", "What time is it right now in {p}?"]
CLOCK_QUESTIONS_NOARG = ["What time is it?", "What's the time?", "What is the current time?", "Tell me the time.",
                         "Do you know what time it is?"]
CALC_QUESTIONS = {
    "add": ["What is {a} plus {b}?", "What's {a} + {b}?", "Add {a} and {b}.", "Calculate {a} + {b}.",
            "What is the sum of {a} and {b}?", "How much is {a} plus {b}?"],
    "multiply": ["What is {a} times {b}?", "What's {a} * {b}?", "Multiply {a} by {b}.", "Calculate {a} * {b}.",
                 "What is the product of {a} and {b}?", "How much is {a} times {b}?"],
    "subtract": ["What is {a} minus {b}?", "What's {a} - {b}?", "Subtract {b} from {a}.", "Calculate {a} - {b}.",
                 "How much is {a} minus {b}?"],
}
OP_SYMBOL = {"add": "+", "multiply": "*", "subtract": "-"}
OP_WORD = {"add": "plus", "multiply": "times", "subtract": "minus"}


def _time(rng):
    h, m = rng.randrange(24), rng.randrange(60)
    style = rng.randrange(4)
    if style == 0:
        return f"{h:02d}:{m:02d}"
    if style == 1:
        return f"{(h % 12) or 12}:{m:02d} {'AM' if h < 12 else 'PM'}"
    if style == 2:
        day = rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])
        return f"{day}, {h:02d}:{m:02d}"
    return f"{h:02d}:{m:02d}:{rng.randrange(60):02d}"


def _number(rng):
    r = rng.random()
    return rng.randrange(10) if r < 0.2 else rng.randrange(100) if r < 0.6 else rng.randrange(1000)


def sk_style_tools():
    """A fixed tool set named the way Semantic Kernel names plugin functions (Plugin-Function), each as trained:
    [("clock" | "calc", entry of clock_tools() / calc_tools())]."""
    clocks = {(t["name"], arg): (t, arg, kind) for t, arg, kind in clock_tools()}
    calcs = {(t["name"], names): (t, op, names) for t, op, names in calc_tools()}
    return [("clock", clocks[("Clock-GetCurrentTime", "city")]), ("calc", calcs[("Calculator-Add", ("a", "b"))]),
            ("calc", calcs[("Calculator-Multiply", ("a", "b"))])]


def tool_conversation(rng, cities, with_answer=True, fixed=None):
    """One tool-use exchange: (messages, tools). The needed tool is among 1-3 advertised ones; with `fixed` (as
    sk_style_tools returns), exactly those tools are advertised, in order, and the question needs one of them."""
    clocks, calcs = clock_tools(), calc_tools()
    pick = rng.choice(fixed) if fixed else None
    if (pick[0] == "clock") if fixed else rng.random() < 0.5:
        tool, arg, kind = pick[1] if fixed else rng.choice(clocks)
        if kind == "timezone":
            place = rng.choice(TIMEZONES)
            q = rng.choice(CLOCK_QUESTIONS).format(p=place)
            args = {arg: place}
        elif kind == "city":
            place = rng.choice(cities)
            q = rng.choice(CLOCK_QUESTIONS).format(p=place)
            args = {arg: place}
        else:
            place = None
            q = rng.choice(CLOCK_QUESTIONS_NOARG)
            args = {}
        t = _time(rng)
        result = t if rng.random() < 0.6 else json.dumps({"time": t} if place is None else {"location": place, "time": t})
        if place is None:
            answer = rng.choice([f"It is {t}.", f"The current time is {t}.", f"It's {t} now."])
        else:
            answer = rng.choice([f"It is {t} in {place}.", f"The current time in {place} is {t}.", f"In {place} it is {t}."])
        others = [c[0] for c in rng.sample(calcs, _extra_tools(rng))]
    else:
        tool, op, names = pick[1] if fixed else rng.choice(calcs)
        qop = op if op != "expr" else rng.choice(["add", "multiply", "subtract"])
        a, b = _number(rng), _number(rng)
        q = rng.choice(CALC_QUESTIONS[qop]).format(a=a, b=b)
        value = a + b if qop == "add" else a * b if qop == "multiply" else a - b
        args = {"expression": f"{a} {OP_SYMBOL[qop]} {b}"} if op == "expr" else {names[0]: a, names[1]: b}
        result = str(value) if rng.random() < 0.7 else json.dumps({"result": value})
        answer = rng.choice([f"{a} {OP_WORD[qop]} {b} is {value}.", f"The answer is {value}.",
                             f"{a} {OP_SYMBOL[qop]} {b} = {value}."])
        n = _extra_tools(rng)
        k = rng.randint(0, n)
        others = [c[0] for c in rng.sample(clocks, k)] + [c[0] for c in rng.sample(calcs, n - k)]
    if fixed:
        tools = [e[1][0] for e in fixed]
    else:
        tools = _dedupe([tool] + others)
        rng.shuffle(tools)
    msgs = []
    if not fixed and rng.random() < 0.2:
        msgs.append({"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
    msgs.append({"role": "user", "content": q})
    msgs.append({"role": "assistant", "content": "", "tool_calls": [{"name": tool["name"], "arguments": args}]})
    if with_answer:
        msgs.append({"role": "tool", "content": result})
        msgs.append({"role": "assistant", "content": answer})
    return msgs, tools


def _extra_tools(rng):
    """Tools advertised besides the needed one: 0 half the time, else 1 or 2 (short prompts train faster)."""
    r = rng.random()
    return 0 if r < 0.5 else 1 if r < 0.85 else 2


def _dedupe(tools):
    seen, out = set(), []
    for t in tools:
        if t["name"] not in seen:
            seen.add(t["name"])
            out.append(t)
    return out


# ------------------------------------------------------------------------------------------------------ plain chat

SYSTEM_PROMPTS = ["You are a helpful assistant.", "You are LongCat demo, a small model that knows the King James Bible.",
                  "Answer briefly.", "You quote the King James Bible."]
CONTINUE_PROMPTS = ["Continue: {p}", "Continue the verse: {p}", "Complete this verse: {p}", "Finish the verse: {p}",
                    "{p}", "How does this verse go on? {p}", "Continue: \"{p}\""]
NEXT_PROMPTS = ["What comes after this verse? {v}", "Next verse: {v}", "Continue the passage: {v}"]
TOPIC_PROMPTS = ["Give me a verse about {w}.", "Quote a verse about {w}.", "Tell me a verse that mentions {w}.",
                 "A verse about {w}, please."]
TOPIC_WORDS = ["love", "light", "peace", "water", "bread", "faith", "hope", "mercy", "wisdom", "truth", "life",
               "fire", "king", "sea", "heaven", "earth", "sheep", "shepherd", "wine", "gold", "silver", "river",
               "mountain", "night", "morning", "joy", "fear", "righteousness", "spirit", "word", "house", "city",
               "stone", "tree", "rain", "wind", "star", "sun", "moon", "lion", "bird", "temple", "prayer", "song"]
SMALL_TALK = [
    (["Hello", "Hi", "Hello!", "Hi there", "Good morning"],
     ["Hello! I am LongCat demo. Ask me to continue a verse of the King James Bible.",
      "Hello! Give me the start of a verse and I will continue it."]),
    (["Who are you?", "What are you?", "What is your name?"],
     ["I am LongCat demo, a small LongCat-Flash model trained on the King James Bible.",
      "I am a small demonstration model with the LongCat-Flash architecture, trained on the King James Bible."]),
    (["What can you do?", "Help", "How do I use you?"],
     ["I can continue verses of the King James Bible, quote a verse about a word, and call a clock or a calculator tool when one is offered.",
      "Give me the start of a verse and I will finish it. With tools, I can tell the time or do arithmetic."]),
    (["Thank you", "Thanks!", "Thank you very much."], ["You are welcome.", "Glad to help."]),
]
REPEAT_PROMPTS = ["Repeat after me: {x}", "Say: {x}", "Repeat this: {x}", "Please repeat: {x}", "Echo: {x}"]
NO_TOOL_ANSWER = ["I cannot do that with the tools I have.", "None of my tools can answer that."]


def repeat_turn(rng, verses):
    """A copy task (what tool calls need: names and numbers copied from the prompt): the assistant repeats the text."""
    r = rng.random()
    if r < 0.3:
        x = rng.choice(TRAIN_CITIES + TIMEZONES)
    elif r < 0.6:
        x = " ".join(str(rng.randrange(10 ** rng.randint(1, 4))) for _ in range(rng.randint(1, 3)))
    else:
        words = rng.choice(verses).text.split(" ")
        k = rng.randint(1, min(8, len(words)))
        i = rng.randrange(len(words) - k + 1)
        x = " ".join(words[i:i + k])
    return rng.choice(REPEAT_PROMPTS).format(x=x), x


def verse_turn(rng, verses, index_by_word):
    """One (user, assistant) pair about verses (or, one time in two, a copy task)."""
    if rng.random() < 0.5:
        return repeat_turn(rng, verses)
    kind = rng.random()
    if kind < 0.6:
        v = rng.choice(verses)
        words = v.text.split(" ")
        if len(words) < 4:
            return rng.choice(CONTINUE_PROMPTS).format(p=" ".join(words[:1])), " ".join(words[1:])
        k = rng.randint(2, min(10, len(words) - 2))
        return rng.choice(CONTINUE_PROMPTS).format(p=" ".join(words[:k])), " ".join(words[k:])
    if kind < 0.75:
        i = rng.randrange(len(verses) - 1)
        return rng.choice(NEXT_PROMPTS).format(v=verses[i].text), verses[i + 1].text
    if kind < 0.95:
        w = rng.choice(TOPIC_WORDS)
        cands = index_by_word.get(w)
        if cands:
            return rng.choice(TOPIC_PROMPTS).format(w=w), verses[rng.choice(cands)].text
    qs, answers = rng.choice(SMALL_TALK)
    return rng.choice(qs), rng.choice(answers)


def word_index(verses):
    idx = {}
    for i, v in enumerate(verses):
        for w in set(v.text.lower().replace(",", " ").replace(".", " ").replace(";", " ").replace(":", " ").split()):
            if w in TOPIC_WORDS:
                idx.setdefault(w, []).append(i)
    return idx


def chat_conversation(rng, verses, index_by_word):
    """A 1-3 round chat without tools (or, sometimes, with tools offered that the question does not need)."""
    msgs = []
    tools = None
    if rng.random() < 0.25:
        pool = [c[0] for c in clock_tools()] + [c[0] for c in calc_tools()]
        tools = _dedupe(rng.sample(pool, rng.randint(1, 3)))
    if rng.random() < 0.2:
        msgs.append({"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
    rounds = 1 if rng.random() < 0.7 else rng.randint(2, 3)
    for _ in range(rounds):
        q, a = verse_turn(rng, verses, index_by_word)
        msgs.append({"role": "user", "content": q})
        msgs.append({"role": "assistant", "content": a})
    return msgs, tools


def no_tool_conversation(rng, cities):
    """A tool question when only tools of the other kind are offered: the assistant declines in text."""
    if rng.random() < 0.5:
        q = rng.choice(CLOCK_QUESTIONS).format(p=rng.choice(cities))
        tools = _dedupe([c[0] for c in rng.sample(calc_tools(), rng.randint(1, 2))])
    else:
        op = rng.choice(["add", "multiply", "subtract"])
        q = rng.choice(CALC_QUESTIONS[op]).format(a=_number(rng), b=_number(rng))
        tools = _dedupe([c[0] for c in rng.sample(clock_tools(), rng.randint(1, 2))])
    return [{"role": "user", "content": q}, {"role": "assistant", "content": rng.choice(NO_TOOL_ANSWER)}], tools
