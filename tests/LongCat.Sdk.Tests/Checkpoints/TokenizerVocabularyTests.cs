namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>
/// The engine checks its tokenizer against the model's vocabulary (config.json's vocab_size) at load: a token id at or past
/// vocab_size is an error (the model can never produce it, nor embed it); a tokenizer with fewer ids than vocab_size is
/// normal (a vocabulary padded for the matrix sizes) and the ids past its last token decode to nothing, as in the Rust library.
/// </summary>
[TestClass]
public sealed class TokenizerVocabularyTests
{
    private static TempDir TinyWithTokenizer(string tokenizerJson)
    {
        var dir = TempDir.CopyOfFixture("tiny-a");      // vocab_size 512
        File.WriteAllText(dir.File("tokenizer.json"), tokenizerJson);
        return dir;
    }

    [TestMethod]
    public async Task LoadAsync_VocabularyEntryPastVocabSize_ThrowsNamingTheEntry()
    {
        // Arrange: 600 entries for a 512-row model.
        using var dir = TinyWithTokenizer(TestModels.ByteLevelBpeJson(600));

        // Act
        var ex = await Assert.ThrowsExactlyAsync<InvalidCheckpointException>(() => LongCatEngine.LoadAsync(dir.Path, GuardedLoad.EngineOptions));

        // Assert
        Assert.AreEqual(dir.File("tokenizer.json"), ex.File);
        StringAssert.Contains(ex.Message, "model.vocab[");
        StringAssert.Contains(ex.Message, "512");
        StringAssert.Contains(ex.Message, "vocab_size");
    }

    [TestMethod]
    public async Task LoadAsync_AddedTokenPastVocabSize_ThrowsNamingIt()
    {
        // Arrange: 512 vocabulary entries, then two added tokens at 512 and 513.
        using var dir = TinyWithTokenizer(TestModels.ByteLevelBpeJson(514, ["<extra_0>", "<extra_1>"]));

        // Act
        var ex = await Assert.ThrowsExactlyAsync<InvalidCheckpointException>(() => LongCatEngine.LoadAsync(dir.Path, GuardedLoad.EngineOptions));

        // Assert
        StringAssert.Contains(ex.Message, "added_tokens[4].id");
        StringAssert.Contains(ex.Message, "'<extra_0>'");
        StringAssert.Contains(ex.Message, "vocab_size");
    }

    [TestMethod]
    public async Task LoadAsync_TokenizerSmallerThanVocabSize_LoadsAndDecodesTheIdsPastItsLastTokenAsNothing()
    {
        // Arrange: 300 tokens for a 512-row model; the model may produce any of the 512 ids.
        using var dir = TinyWithTokenizer(TestModels.ByteLevelBpeJson(300));

        // Act
        await using var engine = await LongCatEngine.LoadAsync(dir.Path, GuardedLoad.EngineOptions);
        var tokenizer = engine.Tokenizer!;
        var (tokens, last) = await Streams.Collect(engine.GenerateAsync("the cat",
            new GenerationOptions { Temperature = 1.5f, Seed = 7, MaxTokens = 48, IgnoreEos = true }));

        // Assert
        Assert.AreEqual(512, tokenizer.VocabSize);
        Assert.IsNull(tokenizer.IdToToken(400));
        Assert.AreEqual(0, tokenizer.TokenBytes(511).Length);
        Assert.AreEqual("", tokenizer.Decode([300, 511]));
        Assert.AreEqual(FinishReason.Length, last.FinishReason);
        Assert.IsTrue(tokens.Any(t => t >= 300), "the stream produced an id past the tokenizer's last token");
    }
}
