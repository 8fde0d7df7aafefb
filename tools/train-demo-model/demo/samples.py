"""Cross-language samples: tokenizer encodings (for the C# tokenizer) and chat-template renderings (for ChatTemplate)."""
import json

from . import chatdata, template

TOKENIZER_TEXTS = [
    "In the beginning God created the heaven and the earth.",
    "And God said, Let there be light: and there was light.",
    "For God so loved the world, that he gave his only begotten Son, that whosoever believeth in him should not perish, but have everlasting life.",
    "The LORD is my shepherd; I shall not want.",
    "Jesus wept.",
    "And Jacob said unto Laban, Give me my wife, for my days are fulfilled, that I may go in unto her.",
    "[Round 0] USER:Continue: In the beginning God ASSISTANT:",
    "[Round 0] USER:Continue: In the beginning God ASSISTANT:created the heaven and the earth.</longcat_s>",
    "SYSTEM:You are a helpful assistant. [Round 0] USER:Hello ASSISTANT:Hello!</longcat_s> [Round 1] USER:Who are you? ASSISTANT:",
    "<longcat_tool_call>\n{\"name\": \"get_current_time\", \"arguments\": {\"city\": \"Paris\"}}\n</longcat_tool_call>",
    "<longcat_tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 12, \"b\": 30}}\n</longcat_tool_call></longcat_s>",
    "[Round 1] USER:<longcat_tool_response>\n42\n</longcat_tool_response> ASSISTANT:12 plus 30 is 42.</longcat_s>",
    "<longcat_s><longcat_unk><longcat_pad></longcat_s>",
    "<longcat_s", "longcat_s>", "</longcat_s", "<<longcat_s>>", "</longcat_s></longcat_s>",
    "0 1 12 123 1234 12345 123456789 3.14159 -42 +7 1,000,000",
    "What is 7 times 8? 7 * 8 = 56; 100 - 58 = 42; 2+2=4.",
    "10:30 AM, 23:59:59, 2024-05-01T14:05:00Z",
    "Hello, world! How are you?? Fine... (really) [yes] {no} <tag> \"quoted\" 'single'",
    "don't can't I'll we've they're she'd it's O'Neil 'tis",
    "!!! ??? ... ;;; ::: --- ___ *** ### @@@ $$$ %%% ^^^ &&& ||| ~~~ `code`",
    "café naïve résumé façade Ångström",
    "日本語のテキスト 中文 한국어",
    "Ελληνικά Кириллица עברית العربية",
    "emoji: 🐱🚀👍🏽 and flags 🇫🇷",
    "  two leading spaces",
    "trailing spaces   ",
    "tabs\tand\nnewlines\n\nand\r\nwindows",
    "   \n\n   ",
    " ",
    "",
    "a",
    "\u00a0non-breaking\u2003em space\u200bzero width",
    "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}",
    "https://example.com/path?query=1&x=y#frag",
    "snake_case camelCase PascalCase kebab-case SCREAMING_CASE",
    "Clock-GetCurrentTime Calculator-Add get_current_time",
]


def tokenizer_samples(tok):
    out = [{"text": t, "ids": tok.encode(t)} for t in TOKENIZER_TEXTS]
    for t in template_cases():
        text = template.render(t["messages"], t["tools"], t["add_generation_prompt"])
        out.append({"text": text, "ids": tok.encode(text)})
    for s in out:
        if tok.decode(s["ids"]) != s["text"]:
            raise ValueError(f"tokenizer does not round-trip {s['text']!r}")
    return out


def write_tokenizer_samples(tok, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tokenizer_samples(tok), f, ensure_ascii=False, indent=1)
        f.write("\n")


def template_cases():
    clock = {"name": "get_current_time", "description": "Get the current time in a city.",
             "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "The city, e.g. Paris"}},
                            "required": ["city"]}}
    add = {"name": "Calculator-Add", "description": "Add two numbers.",
           "parameters": {"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}}}
    empty = {"name": "clock", "description": "Returns the current local time.", "parameters": {"type": "object", "properties": {}}}
    unicode_tool = {"name": "weather", "description": "Wetter für eine Stadt — heute.",
                    "parameters": {"type": "object", "properties": {"ort": {"type": "string", "description": "Stadt, z. B. Zürich"},
                                                                    "tage": {"type": "number", "minimum": 0.5, "default": 1.0}}}}
    return [
        {"name": "single user turn", "tools": None, "add_generation_prompt": True,
         "messages": [{"role": "user", "content": "Continue: In the beginning God"}]},
        {"name": "system and two rounds", "tools": None, "add_generation_prompt": True,
         "messages": [{"role": "system", "content": "You quote the King James Bible."},
                      {"role": "user", "content": "Continue: The LORD is my shepherd;"},
                      {"role": "assistant", "content": "I shall not want."},
                      {"role": "user", "content": "Give me a verse about light."}]},
        {"name": "finished conversation without generation prompt", "tools": None, "add_generation_prompt": False,
         "messages": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hello! I am LongCat demo."}]},
        {"name": "trailing user turn without generation prompt", "tools": None, "add_generation_prompt": False,
         "messages": [{"role": "user", "content": "Hello"}]},
        {"name": "tools, call and result", "tools": [clock, add], "add_generation_prompt": True,
         "messages": [{"role": "user", "content": "What time is it in Paris?"},
                      {"role": "assistant", "content": "", "tool_calls": [{"name": "get_current_time", "arguments": {"city": "Paris"}}]},
                      {"role": "tool", "content": "14:05"}]},
        {"name": "tools, full exchange with system", "tools": [add], "add_generation_prompt": False,
         "messages": [{"role": "system", "content": "Answer briefly."},
                      {"role": "user", "content": "What is 12 plus 30?"},
                      {"role": "assistant", "content": "", "tool_calls": [{"name": "Calculator-Add", "arguments": {"a": 12, "b": 30}}]},
                      {"role": "tool", "content": "42"},
                      {"role": "assistant", "content": "12 plus 30 is 42."}]},
        {"name": "content before two calls and two results", "tools": [clock, empty], "add_generation_prompt": True,
         "messages": [{"role": "user", "content": "Time in Tokyo and here?"},
                      {"role": "assistant", "content": "Let me check.", "tool_calls": [
                          {"name": "get_current_time", "arguments": {"city": "Tokyo"}}, {"name": "clock", "arguments": {}}]},
                      {"role": "tool", "content": "{\"time\": \"09:00\"}"},
                      {"role": "tool", "content": "02:00"},
                      {"role": "assistant", "content": "It is 09:00 in Tokyo and 02:00 here."},
                      {"role": "user", "content": "Thanks!"}]},
        {"name": "non-ASCII schema and arguments", "tools": [unicode_tool], "add_generation_prompt": True,
         "messages": [{"role": "user", "content": "Wie ist das Wetter in Zürich? ☀"},
                      {"role": "assistant", "content": "", "tool_calls": [{"name": "weather", "arguments": {"ort": "Zürich", "tage": 2}}]},
                      {"role": "tool", "content": "Sonnig, 21 °C"}]},
    ]


def template_samples():
    out = []
    for case in template_cases():
        out.append(dict(case, expected=template.render(case["messages"], case["tools"], case["add_generation_prompt"])))
    return out


def write_template_samples(path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(template_samples(), f, ensure_ascii=False, indent=1)
        f.write("\n")


def check_jinja(cases=None):
    """Renders each case with tokenizer_config.json's Jinja template the way Hugging Face does (its tojson:
    json.dumps(ensure_ascii=False)) and returns the names of cases whose output differs from render()."""
    import jinja2

    def tojson(x, indent=None):
        return json.dumps(x, ensure_ascii=False, indent=indent)

    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    tpl = env.from_string(template.JINJA_TEMPLATE)
    bad = []
    for case in cases or template_cases():
        msgs = [dict(m, tool_calls=[{"function": c} for c in m["tool_calls"]]) if m.get("tool_calls") else m for m in case["messages"]]
        tools = [{"type": "function", "function": t} for t in case["tools"]] if case["tools"] else None
        got = tpl.render(messages=msgs, tools=tools, add_generation_prompt=case["add_generation_prompt"])
        if got != template.render(case["messages"], case["tools"], case["add_generation_prompt"]):
            bad.append((case["name"], got))
    return bad
