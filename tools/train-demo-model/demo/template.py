"""The LongCat chat template, rendered byte for byte as the SDK's C# `ChatTemplate.Render` does
(src/LongCat.Sdk/Text/ChatTemplate.cs; LONGCAT.md section 8).

Messages are dicts: {"role": "system"|"user"|"assistant"|"tool", "content": str,
"tool_calls": [{"name": str, "arguments": dict}]} (tool_calls only on assistant turns).
Tools are dicts: {"name": str, "description": str, "parameters": dict (a JSON schema)}.
"""
import json

END_OF_TURN = "</longcat_s>"
TOOL_CALL_OPEN = "<longcat_tool_call>"
TOOL_CALL_CLOSE = "</longcat_tool_call>"
TOOL_RESPONSE_OPEN = "<longcat_tool_response>"
TOOL_RESPONSE_CLOSE = "</longcat_tool_response>"

TOOLS_HEADER = "## Tools\nYou have access to the following tools: \n\n### Tool namespace: function\n\n"
TOOLS_NOTE = (
    "**Note**: For each function call, return a json object with function name and arguments within "
    "<longcat_tool_call></longcat_tool_call> XML tags as follows:\n"
    "<longcat_tool_call>\n{\"name\": <function-name>, \"arguments\": <args-dict>}\n</longcat_tool_call>\n"
    "When multiple functions need to be called simultaneously, each function call should be wrapped in its own "
    "<longcat_tool_call> tag and placed consecutively. For example:\n"
    "<longcat_tool_call>\n{\"name\": <function-name>, \"arguments\": <args-dict>}\n</longcat_tool_call>"
    "<longcat_tool_call>\n{\"name\": <function-name>, \"arguments\": <args-dict>}\n</longcat_tool_call>"
)


def render_tool_description(tools):
    out = [TOOLS_HEADER]
    for t in tools:
        out.append(f"#### Tool name: {t['name']}\n\n")
        out.append(f"Description: {t['description']}\n\n")
        out.append("InputSchema: \n" + json.dumps(t["parameters"], indent=2) + "\n\n")
    out.append(TOOLS_NOTE)
    return "".join(out)


def render_tool_call(call):
    args = json.dumps(call.get("arguments") or {}, ensure_ascii=False)
    return f"{TOOL_CALL_OPEN}\n{{\"name\": {json.dumps(call['name'], ensure_ascii=False)}, \"arguments\": {args}}}\n{TOOL_CALL_CLOSE}"


def render_assistant(m):
    s = m["content"]
    calls = m.get("tool_calls") or []
    if calls and m["content"]:
        s += "\n"
    return s + "".join(render_tool_call(c) for c in calls)


def render(messages, tools=None, add_generation_prompt=True):
    """The prompt text; see ChatTemplate.Render. With spans=True use render_spans instead."""
    return "".join(text for text, _ in render_spans(messages, tools, add_generation_prompt))


def render_spans(messages, tools=None, add_generation_prompt=True):
    """The rendering as (text, is_assistant_output) pieces: assistant contents, tool calls and their end-of-turn
    marker are the model's output (trained on); everything else is prompt."""
    _validate(messages, add_generation_prompt)
    out = []
    if tools:
        out.append((render_tool_description(tools) + "\n\n## Messages\n", False))
    i = 0
    if messages[0]["role"] == "system":
        out.append(("SYSTEM:" + messages[0]["content"] + " ", False))
        i = 1
    rnd = 0
    while i < len(messages):
        prefix = " " if rnd > 0 else ""
        prefix += f"[Round {rnd}] USER:"
        rnd += 1
        if messages[i]["role"] == "user":
            out.append((prefix + messages[i]["content"], False))
            i += 1
        else:
            parts = []
            while i < len(messages) and messages[i]["role"] == "tool":
                parts.append(f"{TOOL_RESPONSE_OPEN}\n{messages[i]['content']}\n{TOOL_RESPONSE_CLOSE}")
                i += 1
            out.append((prefix + "\n".join(parts), False))
        if i < len(messages):
            out.append((" ASSISTANT:", False))
            out.append((render_assistant(messages[i]) + END_OF_TURN, True))
            i += 1
        elif add_generation_prompt:
            out.append((" ASSISTANT:", False))
    return out


def _validate(messages, add_generation_prompt):
    prev = None
    for i, m in enumerate(messages):
        r = m["role"]
        ok = (
            (r == "system" and prev is None)
            or (r == "user" and prev in (None, "system", "assistant"))
            or (r == "assistant" and prev in ("user", "tool"))
            or (r == "tool" and (prev == "tool" or (prev == "assistant" and (
                messages[i - 1].get("tool_calls") or TOOL_CALL_OPEN in messages[i - 1]["content"]))))
        )
        if not ok:
            raise ValueError(f"messages[{i}] ({r}) is out of order")
        prev = r
    if prev in (None, "system"):
        raise ValueError("the conversation has no user turn")
    if add_generation_prompt and prev == "assistant":
        raise ValueError("the conversation ends with an assistant turn; use add_generation_prompt=False")


# A Jinja chat template for tokenizer_config.json that renders what render() renders (for Hugging Face users). Tools may
# be given as {"name", "description", "parameters"} or OpenAI-style {"type": "function", "function": {...}}; tool-call
# arguments may be a dict or a JSON string. Differences from render(): Hugging Face's tojson writes non-ASCII characters
# of the schema unescaped (ensure_ascii=False), where the SDK (json.dumps default) escapes them.
JINJA_TEMPLATE = (
    "{%- if tools -%}"
    "{{- '" + TOOLS_HEADER.replace("\n", "\\n") + "' -}}"
    "{%- for t in tools -%}{%- set f = t.function if t.function is defined else t -%}"
    "{{- '#### Tool name: ' + f.name + '\\n\\nDescription: ' + f.description + '\\n\\nInputSchema: \\n' -}}"
    "{{- f.parameters | tojson(indent=2) -}}{{- '\\n\\n' -}}"
    "{%- endfor -%}"
    "{{- '" + TOOLS_NOTE.replace("\n", "\\n").replace("'", "\\'") + "' -}}"
    "{{- '\\n\\n## Messages\\n' -}}"
    "{%- endif -%}"
    "{%- set ns = namespace(round=0, in_tools=false) -%}"
    "{%- for m in messages -%}"
    "{%- if m.role == 'system' -%}{{- 'SYSTEM:' + m.content + ' ' -}}"
    "{%- elif m.role == 'user' -%}"
    "{%- if ns.round > 0 -%}{{- ' ' -}}{%- endif -%}"
    "{{- '[Round ' + ns.round|string + '] USER:' + m.content -}}{%- set ns.round = ns.round + 1 -%}{%- set ns.in_tools = false -%}"
    "{%- elif m.role == 'tool' -%}"
    "{%- if ns.in_tools -%}{{- '\\n' -}}{%- else -%}"
    "{%- if ns.round > 0 -%}{{- ' ' -}}{%- endif -%}"
    "{{- '[Round ' + ns.round|string + '] USER:' -}}{%- set ns.round = ns.round + 1 -%}{%- set ns.in_tools = true -%}"
    "{%- endif -%}"
    "{{- '<longcat_tool_response>\\n' + m.content + '\\n</longcat_tool_response>' -}}"
    "{%- elif m.role == 'assistant' -%}"
    "{%- set ns.in_tools = false -%}"
    "{{- ' ASSISTANT:' + (m.content if m.content else '') -}}"
    "{%- if m.tool_calls -%}{%- if m.content -%}{{- '\\n' -}}{%- endif -%}"
    "{%- for c in m.tool_calls -%}{%- set f = c.function if c.function is defined else c -%}"
    "{{- '<longcat_tool_call>\\n{\"name\": ' + f.name | tojson + ', \"arguments\": ' -}}"
    "{%- if f.arguments is string -%}{{- f.arguments -}}{%- else -%}{{- f.arguments | tojson -}}{%- endif -%}"
    "{{- '}\\n</longcat_tool_call>' -}}"
    "{%- endfor -%}{%- endif -%}"
    "{{- '</longcat_s>' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt and messages[-1].role != 'assistant' -%}{{- ' ASSISTANT:' -}}{%- endif -%}"
)
