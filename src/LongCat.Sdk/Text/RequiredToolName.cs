namespace LongCat.Sdk.Text;

/// <summary>
/// Picks the function a <see cref="ToolChoiceMode.Required"/> call names when no one function is required: constrained
/// decoding over the offered names. Each name's call opening (<see cref="ChatTemplate.RenderToolCallPrefix(string?)"/>) is tokenized
/// after the prompt; the token sequences form a trie, walked from the forced <c>&lt;longcat_tool_call&gt;\n</c>: where every
/// remaining name continues with the same token it is taken as is, and where they differ the model chooses among exactly those
/// tokens (the others masked out). So the model's preference decides, and the call always names an offered tool.
/// </summary>
internal static class RequiredToolName
{
    /// <summary>The next token given <c>context</c>, restricted to <c>allowed</c> (the model samples with the request's settings).</summary>
    public delegate Task<int> NextToken(int[] context, int[] allowed, CancellationToken cancellationToken);

    /// <summary>The chosen name, or null when the names' openings do not tokenize as continuations of the forced opening (the
    /// caller then forces only the tag).</summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="prompt">The rendered conversation, ending with the assistant's turn opening.</param>
    /// <param name="names">The offered tools' names.</param>
    /// <param name="next">Runs the model one constrained step.</param>
    /// <param name="cancellationToken">Cancels the choice.</param>
    public static async Task<string?> ChooseAsync(Tokenizer tokenizer, ChatPrompt prompt, IReadOnlyList<string> names, NextToken next,
        CancellationToken cancellationToken)
    {
        var distinct = names.Distinct(StringComparer.Ordinal).ToArray();
        if (distinct.Length == 1) return distinct[0];

        int[] context = tokenizer.Encode(prompt.Text + ChatTemplate.RenderToolCallPrefix(), prompt.PlainTextRanges);
        var alive = new List<(string Name, int[] Tail)>(distinct.Length);
        foreach (string name in distinct)
        {
            int[] full = tokenizer.Encode(prompt.Text + ChatTemplate.RenderToolCallPrefix(name), prompt.PlainTextRanges);
            if (!full.AsSpan().StartsWith(context)) return null;
            alive.Add((name, full[context.Length..]));
        }

        var walked = new List<int>(context);
        for (int j = 0; alive.Count > 1; j++)
        {
            // Distinct names give distinct openings, and none is a prefix of another (each ends with `", "arguments":`).
            int[] choices = alive.Where(c => c.Tail.Length > j).Select(c => c.Tail[j]).Distinct().ToArray();
            int token = choices.Length == 1 ? choices[0] : await next([.. walked], choices, cancellationToken).ConfigureAwait(false);
            if (Array.IndexOf(choices, token) < 0)
                throw new InvalidOperationException($"The constrained step returned token {token}, not one of {string.Join(", ", choices)}.");
            walked.Add(token);
            alive.RemoveAll(c => c.Tail.Length <= j || c.Tail[j] != token);
        }
        return alive[0].Name;
    }
}
