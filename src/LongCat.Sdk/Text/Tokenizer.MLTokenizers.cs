using System.Buffers;
using Microsoft.ML.Tokenizers;

namespace LongCat.Sdk.Text;

// The Microsoft.ML.Tokenizers.Tokenizer members, over Encode and the streaming detokenizer. The tokenizer.json's own
// normalizer and pre-tokenizer always apply (they are part of the tokenizer), so EncodeSettings' ConsiderNormalization and
// ConsiderPreTokenization change nothing. A token's value and offset are those of the text it decodes to: a token that ends
// inside a UTF-8 character decodes to nothing, and the character goes to the token that completes it.
public sealed partial class Tokenizer
{
    /// <inheritdoc/>
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        string input = text ?? textSpan.ToString();
        int[] ids = Encode(input);
        int count = Math.Min(ids.Length, MaxTokens(settings));
        var tokens = new List<EncodedToken>(count);
        var decoder = new StreamingDetokenizer(TokenBytes);
        int position = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            string piece = decoder.Push(ids[i]);
            if (i == ids.Length - 1) piece += decoder.Flush();
            if (i < count) tokens.Add(new EncodedToken(ids[i], piece, new Range(position, position + piece.Length)));
            position += piece.Length;
        }
        string decoded = count == 0 ? "" : Decode(ids);
        int consumed = tokens.Count == 0 ? 0 : tokens[^1].Offset.End.Value;
        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = decoded == input ? null : decoded, CharsConsumed = consumed };
    }

    /// <inheritdoc/>
    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        string input = text ?? textSpan.ToString();
        int[] ids = Encode(input);
        int count = Math.Min(ids.Length, MaxTokens(settings));
        if (count == ids.Length) return new EncodeResults<int> { Tokens = ids, NormalizedText = null, CharsConsumed = input.Length };
        var kept = ids[..count];
        return new EncodeResults<int> { Tokens = kept, NormalizedText = null, CharsConsumed = count == 0 ? 0 : Decode(kept).Length };
    }

    /// <inheritdoc/>
    protected override int CountTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings) => Encode(text ?? textSpan.ToString()).Length;

    /// <inheritdoc/>
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Decode(ids as int[] ?? [.. ids]);
    }

    /// <summary>Decodes <paramref name="ids"/> into <paramref name="destination"/> as far as it holds whole tokens' text.</summary>
    /// <returns><see cref="OperationStatus.Done"/>, <see cref="OperationStatus.DestinationTooSmall"/> (then
    /// <paramref name="idsConsumed"/> ids' text was written), or <see cref="OperationStatus.InvalidData"/> for an id outside the vocabulary.</returns>
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        idsConsumed = 0;
        charsWritten = 0;
        var decoder = new StreamingDetokenizer(TokenBytes);
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)VocabSize) return OperationStatus.InvalidData;
            string piece = decoder.Push(id);
            if (!piece.AsSpan().TryCopyTo(destination[charsWritten..])) return OperationStatus.DestinationTooSmall;
            charsWritten += piece.Length;
            idsConsumed++;
        }
        string rest = decoder.Flush();
        if (!rest.AsSpan().TryCopyTo(destination[charsWritten..])) return OperationStatus.DestinationTooSmall;
        charsWritten += rest.Length;
        return OperationStatus.Done;
    }

    private static int MaxTokens(EncodeSettings settings) => settings.MaxTokenCount > 0 ? settings.MaxTokenCount : int.MaxValue;
}
