#!/usr/bin/env python3
"""Renders the chat-template conformance corpus with Python's jinja2, as Hugging Face transformers does.

The C# interpreter (src/LongCat.Sdk/Templates) must reproduce every output byte for byte; the expectations are checked in
under tests/LongCat.Sdk.Tests/Templates/conformance/<template>.expected.json.

    python3 tools/chat-templates/generate.py

The environment mirrors transformers' `_compile_jinja_template` (utils/chat_template_utils.py):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols]),
`tojson` = json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys),
`raise_exception(msg)` raising TemplateError(msg), and `strftime_now(fmt)` (fixed here to FIXED_NOW for reproducibility).
`apply_chat_template` renders with messages=..., tools=... (None when absent), documents=None, add_generation_prompt=...,
plus the tokenizer's special tokens and any extra kwargs (enable_thinking).
"""

import json
import os
import sys
from datetime import datetime

import jinja2
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFORMANCE = os.path.join(ROOT, "tests", "LongCat.Sdk.Tests", "Templates", "conformance")
TEMPLATES = os.path.join(CONFORMANCE, "templates")

# What strftime_now() returns; the C# test passes the same instant.
FIXED_NOW = datetime(2026, 3, 7, 14, 5, 9)


class AssistantTracker(Extension):
    """transformers' {% generation %} tag: renders its body (the assistant-mask bookkeeping is not needed here)."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return FIXED_NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


# Special tokens each template's tokenizer passes to the template (transformers' special_tokens_map).
SPECIAL_TOKENS = {
    "longcat-demo": {},
    "Qwen-Qwen3-0.6B": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "deepseek-ai-DeepSeek-V3.1": {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"},
    "openai-gpt-oss-120b": {"bos_token": "<|startoftext|>", "eos_token": "<|return|>", "pad_token": "<|endoftext|>"},
    "meta-llama-Llama-3.1-8B-Instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "meta-llama-Llama-3.2-3B-Instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
}

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
                "days": {"type": "integer", "description": "Forecast days", "default": 1},
            },
            "required": ["city"],
        },
    },
}

SEARCH = {
    "type": "function",
    "function": {
        "name": "search_docs",
        "description": "Search the documentation (supports «quotes» and ünïcödé).",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "limit": {"type": "number", "default": 2.5},
                "exact": {"type": "boolean"},
                "filter": {"type": "object", "properties": {"lang": {"type": "string"}}},
            },
            "required": ["query", "tags"],
        },
    },
}

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
HELLO = {"role": "user", "content": "Hello!"}
HI = {"role": "assistant", "content": "Hi! How can I help?"}
ASK = {"role": "user", "content": "What is 2 + 2?"}
FOUR = {"role": "assistant", "content": "4"}
WEATHER_Q = {"role": "user", "content": "What's the weather in Paris?"}


def call(name, arguments, call_id="call_1"):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


CALL_DICT = {"role": "assistant", "content": "", "tool_calls": [call("get_weather", {"city": "Paris", "days": 2})]}
CALL_STRING = {"role": "assistant", "content": "", "tool_calls": [call("get_weather", '{"city": "Paris", "days": 2}')]}
RESULT = {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "{\"temp_c\": 18.5, \"sky\": \"clear\"}"}
ANSWER = {"role": "assistant", "content": "It is 18.5 °C and clear in Paris."}

# name -> (messages, tools); every conversation is rendered with and without the generation prompt.
CONVERSATIONS = {
    "single_user": ([HELLO], None),
    "system_user": ([SYSTEM, HELLO], None),
    "multi_turn": ([SYSTEM, HELLO, HI, ASK], None),
    "multi_turn_finished": ([SYSTEM, HELLO, HI, ASK, FOUR], None),
    "no_system_multi_turn": ([HELLO, HI, ASK, FOUR], None),
    "tools_user": ([SYSTEM, WEATHER_Q], [WEATHER, SEARCH]),
    "tools_no_system": ([WEATHER_Q], [WEATHER]),
    "tool_call_pending": ([SYSTEM, WEATHER_Q, CALL_DICT, RESULT], [WEATHER]),
    "tool_call_answered": ([SYSTEM, WEATHER_Q, CALL_DICT, RESULT, ANSWER], [WEATHER]),
    "tool_call_string_arguments": ([WEATHER_Q, CALL_STRING, RESULT, ANSWER, {"role": "user", "content": "Thanks"}], [WEATHER]),
    "tool_call_with_content": ([WEATHER_Q, {"role": "assistant", "content": "Let me check.", "tool_calls": [call("get_weather", {"city": "Paris"})]}, RESULT], [WEATHER]),
    "two_tool_calls": ([WEATHER_Q, {"role": "assistant", "content": "", "tool_calls": [
        call("get_weather", {"city": "Paris"}), call("search_docs", {"query": "umbrella", "tags": ["rain", "tips"], "limit": 3.0, "exact": False, "filter": None}, "call_2")]},
        RESULT, {"role": "tool", "tool_call_id": "call_2", "name": "search_docs", "content": "No results."}], [WEATHER, SEARCH]),
    "tool_call_null_content": ([WEATHER_Q, {"role": "assistant", "content": None, "tool_calls": [call("get_weather", {"city": "Paris"})]}, RESULT], [WEATHER]),
    "reasoning": ([SYSTEM, HELLO, {"role": "assistant", "content": "Hi there.", "reasoning_content": "The user greets me.\nI greet back."}, ASK,
                   {"role": "assistant", "content": "4", "reasoning_content": "2 + 2 = 4."}], None),
    "reasoning_pending": ([HELLO, {"role": "assistant", "content": "Hi there.", "reasoning_content": "Greeting."}, ASK], None),
    "think_in_content": ([HELLO, {"role": "assistant", "content": "<think>\nGreeting.\n</think>\n\nHi there."}, ASK], None),
    "gpt_oss_thinking": ([{"role": "developer", "content": "Answer tersely."}, ASK, {"role": "assistant", "content": "4", "thinking": "Simple sum."}], None),
    "unicode_and_specials": ([
        {"role": "system", "content": "  Sys: ‘quotes’ \"double\" \\backslash\\ \t tab  "},
        {"role": "user", "content": "日本語 😀 <|im_end|> </longcat_s> <｜User｜> {{ not a tag }} {% raw %}\r\nline2\n"},
        {"role": "assistant", "content": "Émoji 🎉 and 'single' quotes."},
        {"role": "user", "content": "\u00a0nbsp\u2028sep <|eot_id|> end"}], None),
    "empty_content": ([{"role": "user", "content": ""}], None),
}

THINKING_VARIANTS = [None, True, False]

# Small templates over single features (interpreter.cases.json): whitespace control, loops, scoping, macros,
# expressions, filters, tests, methods. Rendered with INTERPRETER_CONTEXT.
INTERPRETER_CONTEXT = {"msgs": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo", "extra": None}], "d": {"b": 1, "a": 2.0}, "s": "  Hello, World  ", "n": None}
INTERPRETER_CASES = [
 # whitespace control
 "{% if true %}\n  x\n{% endif %}\n",
 "a  {%- if true -%}  b  {%- endif -%}  c",
 "  {% if true %}x{% endif %}  \n  {{ 1 }}  \n",
 "{# comment #}\nA\n  {#- c -#}  B",
 "{% for i in [1] +%}\nX{% endfor %}",
 # loop variables
 "{% for x in ['a','b','c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}",
 "{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }};{% endfor %}",
 "{% for x in [] %}a{% else %}empty{% endfor %}",
 "{% for x in [1,2,3,4,5] if x is odd %}{{ x }}{{ loop.index }},{% endfor %}",
 "{% for x in [1,2,3,4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}",
 "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor %}",
 "{% for k, v in d | dictsort %}{{ k }}={{ v }};{% endfor %}",
 # set, namespace, scoping
 "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}",
 "{% set ns = namespace(c=0) %}{% for i in [1,2,3] %}{% set ns.c = ns.c + i %}{% endfor %}{{ ns.c }}",
 "{% set b %}Hello {{ 'World' }}{% endset %}{{ b | upper }}",
 # macros
 "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', punct='?') }}",
 "{% macro wrap() %}[{{ caller() }}]{% endmacro %}{% call wrap() %}inner{% endcall %}",
 # expressions
 "{{ 7 // 2 }} {{ 7 / 2 }} {{ -7 % 3 }} {{ 2 ** 3 }} {{ 1 + 2.0 }} {{ 'a' ~ 1 ~ none }} {{ 1 if false else 2 }}",
 "{{ [1, 'a', none, true, 1.5, {'k': [1]}] }} {{ (1, 2) }} {{ d }}",
 "{{ 'abcdef'[1:4] }} {{ 'abcdef'[::-1] }} {{ 'abcdef'[-2:] }} {{ [1,2,3,4][::2] }} {{ 'héllo😀x'[-2] }}",
 "{{ 'x' in 'xyz' }} {{ 3 not in [1,2] }} {{ 'a' in d }} {{ 1 < 2 < 3 }} {{ not 0 and 'y' or 'n' }}",
 "{{ msgs[0].content }} {{ msgs[0]['role'] }} {{ msgs[1].extra }} {{ msgs[1].missing }} {{ d.get('z', 'dflt') }}",
 # filters
 "{{ s | trim }}|{{ s | length }}|{{ s | upper }}|{{ s | lower }}|{{ 'hello wORLD' | title }}|{{ 'hELLO' | capitalize }}",
 "{{ 'a-b-c' | replace('-', '+') }} {{ ['x','y'] | join(', ') }} {{ [3,1,2] | first }} {{ [3,1,2] | last }} {{ n | default('D') }} {{ undefined_v | d('U') }}",
 "{{ msgs | selectattr('role', 'equalto', 'user') | map(attribute='content') | list }} {{ msgs | rejectattr('extra', 'defined') | list | length }}",
 "{{ [1,2,3,4] | select('even') | list }} {{ [1,2,3] | reject('odd') | list }} {{ d | items | list }} {{ 'ab' | list }}",
 "{{ 3 | string }}{{ '42' | int + 1 }} {{ '2.5' | float }} {{ 2.5 | round }} {{ -3 | abs }} {{ ['b','A','a'] | unique | list }} {{ ['b','A','c'] | sort }}",
 "{{ [1,2,3,4,5] | batch(2) | list }} {{ 'one two  three' | wordcount }} {{ [3,1] | reverse | list }} {{ 'abc' | reverse }}",
 "{{ d | tojson }} {{ d | tojson(indent=2) }} {{ 'é\"\\n' | tojson }} {{ {'a': [1, 2.0, none, true]} | tojson(separators=(',', ':')) }}",
 "{{ 'line1\nline2' | indent(2) }}|{{ 'x\ny' | indent(2, true) }}",
 # tests
 "{{ n is none }} {{ s is string }} {{ 1 is number }} {{ 1.0 is integer }} {{ d is mapping }} {{ msgs is iterable }} {{ u is defined }} {{ u is undefined }} {{ true is true }} {{ 1 is sameas 1 }} {{ 'a' is in 'abc' }}",
 # methods
 "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a b  c'.split() }}|{{ 'a,b,c'.rsplit(',', 1) }}|{{ 'xyx'.startswith('x') }}{{ 'xyx'.endswith(('a','x')) }}|{{ 'aXa'.replace('a', 'b') }}",
 # strftime
 "{{ strftime_now('%Y-%m-%d %d %b %Y %B %A %H:%M:%S') }}",
]



def render(env, source, special, messages, tools, add_generation_prompt, kwargs):
    template = env.from_string(source)
    return template.render(messages=messages, tools=tools, documents=None, add_generation_prompt=add_generation_prompt, **special, **kwargs)


def main():
    env = make_environment()
    for file in sorted(os.listdir(TEMPLATES)):
        if not file.endswith(".jinja"):
            continue
        name = file[: -len(".jinja")]
        with open(os.path.join(TEMPLATES, file), encoding="utf-8", newline="") as f:
            source = f.read()
        special = SPECIAL_TOKENS[name]
        reads_thinking = "enable_thinking" in source
        cases = []
        for conv, (messages, tools) in CONVERSATIONS.items():
            for agp in (True, False):
                for thinking in THINKING_VARIANTS if reads_thinking else [None]:
                    kwargs = {} if thinking is None else {"enable_thinking": thinking}
                    case = {
                        "name": f"{conv}/agp={str(agp).lower()}" + ("" if thinking is None else f"/thinking={str(thinking).lower()}"),
                        "messages": messages,
                        "tools": tools,
                        "add_generation_prompt": agp,
                        "kwargs": {**special, **kwargs},
                    }
                    try:
                        case["output"] = render(env, source, special, messages, tools, agp, kwargs)
                    except Exception as e:  # the C# interpreter must raise with the same message
                        case["error"] = str(e)
                        case["error_type"] = type(e).__name__
                    cases.append(case)
        out = os.path.join(CONFORMANCE, f"{name}.expected.json")
        with open(out, "w", encoding="utf-8", newline="\n") as f:
            json.dump({"template": file, "jinja2": jinja2.__version__, "now": FIXED_NOW.isoformat(), "cases": cases},
                      f, ensure_ascii=False, indent=1)
            f.write("\n")
        errors = sum(1 for c in cases if "error" in c)
        print(f"{out}: {len(cases)} cases, {errors} raise", file=sys.stderr)
    write_interpreter_cases(env)


def write_interpreter_cases(env):
    cases = []
    for source in INTERPRETER_CASES:
        try:
            cases.append({"template": source, "output": env.from_string(source).render(**INTERPRETER_CONTEXT)})
        except Exception as e:
            cases.append({"template": source, "error": str(e)})
    out = os.path.join(CONFORMANCE, "interpreter.cases.json")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        json.dump({"now": FIXED_NOW.isoformat(), "context": INTERPRETER_CONTEXT, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{out}: {len(cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
