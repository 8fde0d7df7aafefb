namespace LongCat.Sdk.Text;

/// <summary>
/// What a required tool call's answer must start with, as tokens: for each tool it may call, the opening of a
/// <c>&lt;longcat_tool_call&gt;</c> block naming it (<see cref="ChatTemplate.RenderToolCallPrefix(ToolDefinition)"/>), tokenized
/// as the continuation of the prompt. The engine walks them as a trie (a <c>TokenTrieConstraint</c>): tokens shared by every
/// remaining opening are forced, and where the names part the model chooses among exactly the tokens that continue an offered
/// name, so it always calls a tool that exists and the one it prefers.
/// </summary>
internal static class ToolCallOpenings
{
    /// <summary>The openings of <paramref name="tools"/> (distinct by name) after <paramref name="promptIds"/>, the tokens of
    /// <paramref name="prompt"/>. An opening that does not tokenize as a continuation of the prompt is tokenized alone (forced
    /// tokens need not be the tokenizer's own split; they only have to spell the text).</summary>
    public static int[][] Tokenize(Tokenizer tokenizer, ChatPrompt prompt, int[] promptIds, IEnumerable<ToolDefinition> tools) =>
        Tokenize(tokenizer, prompt, promptIds, tools, ToolCallSyntax.Json, afterReasoning: false);

    /// <summary>As above for <paramref name="syntax"/>: the XML opening is <c>&lt;longcat_tool_call&gt;name\n</c>. After a thinking
    /// model's reasoning (<paramref name="afterReasoning"/>) the opening follows the line break the format puts after
    /// <c>&lt;/longcat_think&gt;</c>, and is tokenized alone.</summary>
    public static int[][] Tokenize(Tokenizer tokenizer, ChatPrompt prompt, int[] promptIds, IEnumerable<ToolDefinition> tools,
        ToolCallSyntax syntax, bool afterReasoning)
    {
        return [.. tools.DistinctBy(t => t.Name, StringComparer.Ordinal).Select(t => afterReasoning ? tokenizer.Encode("\n" + Opening(t)) : Continuation(Opening(t)))];

        string Opening(ToolDefinition t) => syntax == ToolCallSyntax.Json ? ChatTemplate.RenderToolCallPrefix(t) : ToolCallParser.OpenTag + t.Name + "\n";

        int[] Continuation(string opening)
        {
            int[] full = tokenizer.Encode(prompt.Text + opening, prompt.PlainTextRanges);
            return full.Length > promptIds.Length && full.AsSpan().StartsWith(promptIds) ? full[promptIds.Length..] : tokenizer.Encode(opening);
        }
    }
}
