"""The LongCat-Flash-Thinking-2601 chat template of models/longcat-thinking-demo, as Jinja, and its rendering with Python's
jinja2 in Hugging Face transformers' environment (tools/chat-templates/generate.py: ImmutableSandboxedEnvironment with
trim_blocks, lstrip_blocks and loopcontrols; tojson = json.dumps(ensure_ascii=False, ...); raise_exception).

The strings follow ../../shared/docs/LONGCAT-THINKING.md sections 3 and 4 ([V]/[O] strings exactly). Where that page is
silent the decisions are ours; they are listed in DECISIONS (and in the model card).

Inputs, as transformers passes them: `messages` in the OpenAI shape (roles system/user/assistant/tool; an assistant message
may carry `reasoning_content` and `tool_calls: [{"type": "function", "function": {"name": ..., "arguments": {dict}}}]`; a
tool message is {"role": "tool", "name": ..., "content": ...}), `tools` (OpenAI shape, or bare {name, description,
parameters} elements), `add_generation_prompt`, `enable_thinking` (true when undefined), `save_history_reasoning_content`
(false when undefined).
"""
import json

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Added tokens of the thinking tokenizer, appended after the demo's 4,096 ids, in this order (ids 4096..4107).
THINK_TOKENS = [
    ("<longcat_think>", False), ("</longcat_think>", False),
    ("<longcat_system>", True), ("<longcat_user>", True), ("<longcat_assistant>", True),
    ("<longcat_tool_declare>", True), ("</longcat_tool_declare>", True), ("<longcat_observation>", True),
    ("<longcat_arg_key>", False), ("</longcat_arg_key>", False), ("<longcat_arg_value>", False), ("</longcat_arg_value>", False),
]
THINK_OPEN, THINK_CLOSE = "<longcat_think>", "</longcat_think>"
END_OF_TURN = "</longcat_s>"
THINK_ON = " /think_on "

TOOLS_HEADER = "<longcat_tool_declare>\n# Tools\nYou have access to the following tools:\n\n## Tool namespace: function\n\n"
TOOLS_NOTE = (
    "**Note**: For each function call, output the function name and arguments within the following XML format:\n"
    "<longcat_tool_call>{function-name}\n"
    "<longcat_arg_key>{arg-key-1}</longcat_arg_key>\n"
    "<longcat_arg_value>{arg-value-1}</longcat_arg_value>\n"
    "<longcat_arg_key>{arg-key-2}</longcat_arg_key>\n"
    "<longcat_arg_value>{arg-value-2}</longcat_arg_value>\n"
    "...\n"
    "</longcat_tool_call>\n"
    "</longcat_tool_declare>"
)

# The summary prompt of Heavy Thinking (our own wording; the SDK sends exactly this as one user turn).
SUMMARY_START = "\n\n# ====== Thinkers Thought Response Start ======\n\n"
SUMMARY_THINKER = "# ----- Thinker #{i} -----\n\n{answer}\n\n"
SUMMARY_END = ("# ====== Thinkers Thought Response End ======\n\nThe thinkers above answered the question independently. "
               "Check their answers, then write the single best final answer. Do not mention the thinkers.")


def summary_prompt(question, answers):
    """The Heavy Thinking summary turn's content: the question, then each thinker's answer (numbered from 1)."""
    return question + SUMMARY_START + "".join(SUMMARY_THINKER.format(i=i + 1, answer=a) for i, a in enumerate(answers)) + SUMMARY_END


def _lit(s):
    """A Python string as a single-quoted Jinja string literal."""
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


# Every tag carries '-' on both sides, so the template's own line breaks and indentation never reach the output.
JINJA_TEMPLATE = """{#- LongCat-Flash-Thinking-2601 conversation format (longcat-thinking-demo). -#}
{%- set thinking = not (enable_thinking is defined and not enable_thinking) -%}
{%- set keep_reasoning = save_history_reasoning_content is defined and save_history_reasoning_content -%}
{%- if not messages -%}{{- raise_exception('The conversation has no messages.') -}}{%- endif -%}
{%- set ns = namespace(last_user=-1, calls=[], tool_index=0) -%}
{%- for m in messages -%}
  {%- if m.role == 'user' -%}
    {%- set ns.last_user = loop.index0 -%}
  {%- elif m.role == 'system' -%}
    {%- if not loop.first -%}{{- raise_exception('messages[' ~ loop.index0 ~ ']: a system message must be the first message.') -}}{%- endif -%}
  {%- elif m.role == 'tool' -%}
    {%- set prev = messages[loop.index0 - 1] if not loop.first else none -%}
    {%- if prev is none or not (prev.role == 'tool' or (prev.role == 'assistant' and prev.tool_calls)) -%}
      {{- raise_exception('messages[' ~ loop.index0 ~ ']: a tool message must follow an assistant message with tool_calls (or another tool message).') -}}
    {%- endif -%}
  {%- elif m.role != 'assistant' -%}
    {{- raise_exception('messages[' ~ loop.index0 ~ ']: unknown role ' ~ m.role ~ '; expected system, user, assistant or tool.') -}}
  {%- endif -%}
{%- endfor -%}
{%- if tools -%}
  {{- TOOLS_HEADER -}}
  {%- for t in tools -%}
    {%- set f = t.function if t.function is defined else t -%}
    {{- '### Tool name: ' ~ f.name ~ '\\nDescription: ' -}}
    {{- f.description if f.description is defined and f.description is not none else '' -}}
    {{- '\\n\\nInputSchema: ' -}}
    {{- (f.parameters if f.parameters is defined and f.parameters is not none else {}) | tojson -}}
    {{- '\\n\\n' -}}
  {%- endfor -%}
  {{- TOOLS_NOTE -}}
{%- endif -%}
{%- for m in messages -%}
  {%- set i = loop.index0 -%}
  {%- if m.role == 'system' -%}
    {{- '<longcat_system>' ~ m.content -}}
  {%- elif m.role == 'user' -%}
    {{- '<longcat_user>' ~ m.content -}}
    {%- if thinking and i == ns.last_user -%}{{- ' /think_on ' -}}{%- endif -%}
  {%- elif m.role == 'assistant' -%}
    {{- '<longcat_assistant>' -}}
    {%- set reasoning = (m.reasoning_content | trim) if m.reasoning_content is defined and m.reasoning_content is not none else '' -%}
    {%- if thinking and i > ns.last_user -%}
      {{- '<longcat_think>\\n' ~ reasoning ~ '\\n</longcat_think>\\n' -}}
    {%- elif keep_reasoning and i < ns.last_user and reasoning -%}
      {{- '<longcat_think>\\n' ~ reasoning ~ '\\n</longcat_think>\\n' -}}
    {%- endif -%}
    {%- set content = (m.content | trim) if m.content is defined and m.content is string else '' -%}
    {{- content -}}
    {%- if m.tool_calls -%}
      {%- if content -%}{{- '\\n' -}}{%- endif -%}
      {%- for c in m.tool_calls -%}
        {%- set f = c.function if c.function is defined else c -%}
        {%- if f.arguments is string -%}
          {{- raise_exception('messages[' ~ i ~ ']: tool call arguments must be a mapping (a dict), not a JSON string.') -}}
        {%- endif -%}
        {{- '<longcat_tool_call>' ~ f.name ~ '\\n' -}}
        {%- if f.arguments is mapping -%}
          {%- for k, v in f.arguments.items() -%}
            {{- '<longcat_arg_key>' ~ k ~ '</longcat_arg_key>\\n<longcat_arg_value>' -}}
            {%- if v is string -%}{{- v -}}{%- else -%}{{- v | tojson -}}{%- endif -%}
            {{- '</longcat_arg_value>\\n' -}}
          {%- endfor -%}
        {%- endif -%}
        {{- '</longcat_tool_call>\\n' -}}
      {%- endfor -%}
      {%- set ns.calls = m.tool_calls -%}
    {%- else -%}
      {%- set ns.calls = [] -%}
    {%- endif -%}
    {%- set ns.tool_index = 0 -%}
    {{- '</longcat_s>' -}}
  {%- elif m.role == 'tool' -%}
    {%- if messages[i - 1].role != 'tool' -%}{{- '<longcat_observation>' -}}{%- endif -%}
    {%- if m.name is defined and m.name -%}
      {%- set name = m.name -%}
    {%- elif ns.tool_index < ns.calls | length -%}
      {%- set c = ns.calls[ns.tool_index] -%}
      {%- set name = c.function.name if c.function is defined else c.name -%}
    {%- else -%}
      {%- set name = '' -%}
    {%- endif -%}
    {%- set ns.tool_index = ns.tool_index + 1 -%}
    {{- '<longcat_tool_response>' ~ name ~ '\\n' -}}
    {{- m.content if m.content is string else m.content | tojson -}}
    {{- '</longcat_tool_response>' -}}
    {%- if thinking and i > ns.last_user and (loop.last or messages[i + 1].role != 'tool') -%}{{- ' /think_on ' -}}{%- endif -%}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<longcat_assistant>' -}}
  {%- if thinking -%}{{- '<longcat_think>\\n' -}}{%- endif -%}
{%- endif -%}
""".replace("TOOLS_HEADER", _lit(TOOLS_HEADER)).replace("TOOLS_NOTE", _lit(TOOLS_NOTE))

DECISIONS = [
    "The tool declaration (when `tools` is not empty) comes first, before `<longcat_system>`; `InputSchema:` is the "
    "schema as one line of `tojson` (json.dumps with ensure_ascii=False: `\", \"` and `\": \"` separators, keys in the given "
    "order, `required` kept when the schema has it). A tool without `description` gets an empty one, without `parameters` `{}`.",
    "` /think_on ` (with its spaces) ends the last user message when thinking is on; earlier user messages carry none. "
    "It also ends a run of tool messages that comes after the last user message (the current turn), so the next "
    "`<longcat_assistant>` (the generation prompt or a rendered assistant turn) follows it as in section 3.3. Both are "
    "written whether or not a generation prompt follows.",
    "Generation prompt: `<longcat_assistant><longcat_think>\\n` with thinking on; `<longcat_assistant>` with thinking off "
    "(no think block at all: the model answers directly).",
    "`enable_thinking`: undefined means on; any false value (false, None) means off. `save_history_reasoning_content`: "
    "undefined means false.",
    "Assistant turns after the last user message (the current turn), thinking on: `<longcat_assistant><longcat_think>\\n"
    "{reasoning_content}\\n</longcat_think>\\n{content}{tool calls}</longcat_s>` (an empty think block when "
    "reasoning_content is missing). Assistant turns before it (history): `<longcat_assistant>{content}{tool calls}</longcat_s>`; "
    "with save_history_reasoning_content true and a non-empty reasoning_content, the same think block as the current turn. "
    "Thinking off: never a think block in the current turn.",
    "reasoning_content and assistant content are trimmed (Jinja `trim`) before rendering, so the parser's split "
    "(`{reasoning}\\n</longcat_think>\\n{answer}`) re-renders to the same text. User, system and tool contents are written as given.",
    "Tool calls: `<longcat_tool_call>{name}\\n`, then per argument `<longcat_arg_key>{k}</longcat_arg_key>\\n"
    "<longcat_arg_value>{v}</longcat_arg_value>\\n`, then `</longcat_tool_call>\\n`; string values raw, any other value "
    "`tojson` (`15`, `false`, `{\"repeat\": false, \"sound\": \"bell\"}`). Several calls follow one another with nothing "
    "between them but that `\\n`. Non-empty content is followed by `\\n` before the first call. `arguments` must be a mapping: "
    "a JSON string raises (the template cannot parse JSON). A call may also be given bare ({name, arguments}).",
    "Tool results: a run of consecutive tool messages renders as one `<longcat_observation>`, then per message "
    "`<longcat_tool_response>{name}\\n{content}</longcat_tool_response>`. A tool message without `name` takes the name "
    "of the call at the same position in the preceding assistant message's tool_calls. Non-string content is written as `tojson`.",
    "raise_exception: no messages; a system message that is not the first; a tool message that does not follow an "
    "assistant message with tool_calls (or another tool message); an unknown role; tool-call arguments given as a string.",
]


def make_environment():
    """transformers' chat-template environment (tools/chat-templates/generate.py)."""
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


_TEMPLATE = None

SPECIAL_TOKENS_MAP = {"bos_token": "<longcat_s>", "eos_token": "</longcat_s>", "pad_token": "<longcat_pad>",
                      "unk_token": "<longcat_unk>"}


def template():
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = make_environment().from_string(JINJA_TEMPLATE)
    return _TEMPLATE


def render(messages, tools=None, add_generation_prompt=True, **kwargs):
    """What transformers' apply_chat_template(tokenize=False) renders (kwargs: enable_thinking,
    save_history_reasoning_content)."""
    return template().render(messages=messages, tools=tools, add_generation_prompt=add_generation_prompt,
                             **SPECIAL_TOKENS_MAP, **kwargs)


def render_spans(messages, tools=None, **kwargs):
    """The conversation rendered without a generation prompt, cut into (text, is_model_output) pieces.

    An assistant message is model output when the text before it, rendered with a generation prompt, is a prefix of the
    whole rendering and ends where the message's rendering begins: then the model writes exactly the rest of it (its
    reasoning, answer, tool calls and `</longcat_s>`). That holds for every assistant turn with thinking off and for the
    current turn's assistant messages with thinking on; history turns (whose reasoning the template drops) stay prompt.
    """
    full = render(messages, tools, add_generation_prompt=False, **kwargs)
    spans, pos = [], 0
    for k, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        start = len(render(messages[:k], tools, add_generation_prompt=True, **kwargs))
        end = len(render(messages[:k + 1], tools, add_generation_prompt=False, **kwargs))
        if not (pos <= start <= end and full.startswith(render(messages[:k + 1], tools, add_generation_prompt=False, **kwargs))
                and full.startswith(render(messages[:k], tools, add_generation_prompt=True, **kwargs))):
            continue
        if start > pos:
            spans.append((full[pos:start], False))
        spans.append((full[start:end], True))
        pos = end
    if pos < len(full):
        spans.append((full[pos:], False))
    assert "".join(t for t, _ in spans) == full
    return spans


def openai_tools(tools):
    """Bare tool definitions -> the OpenAI shape [{"type": "function", "function": {...}}]."""
    return [{"type": "function", "function": t} for t in tools] if tools else None


def call(name, arguments):
    """An OpenAI-shaped tool call with arguments as a dict."""
    return {"type": "function", "function": {"name": name, "arguments": arguments}}
