namespace LongCat.Sdk.Text;

/// <summary>
/// A token of tokenizer.json's <c>added_tokens</c>: matched as a whole in the input text before pre-tokenization (longest
/// first), instead of being built by BPE merges.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The text it matches.</param>
/// <param name="Special">A control token (BOS, EOS, role tags): left as plain text when special tokens are not parsed, and
/// dropped by <see cref="Tokenizer.Decode(ReadOnlySpan{int}, bool)"/> when it skips special tokens.</param>
/// <param name="SingleWord">Matches only where neither neighbour is a word character.</param>
/// <param name="LeftStrip">Also takes the whitespace before it.</param>
/// <param name="RightStrip">Also takes the whitespace after it.</param>
/// <param name="Normalized">Matched in the normalized text (against its normalized content) rather than the raw input.</param>
internal sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord = false, bool LeftStrip = false,
    bool RightStrip = false, bool Normalized = false);
