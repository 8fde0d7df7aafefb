namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>
/// generation_config.json's eos_token_id (an id or a list of ids) joins config.json's as a stop token. Its numbers are read as
/// config.json's are: integral values written as floats are ids, anything else is an <see cref="InvalidConfigException"/>
/// naming the field and the file.
/// </summary>
[TestClass]
public sealed class GenerationConfigTests
{
    private static TempDir FolderWith(string generationConfig)
    {
        var dir = TempDir.CopyOfFixture("tiny-a");
        File.WriteAllText(dir.File("generation_config.json"), generationConfig);
        return dir;
    }

    private static async Task<IReadOnlySet<int>> EosOf(string generationConfig)
    {
        using var dir = FolderWith(generationConfig);
        await using var engine = await LongCatEngine.LoadAsync(dir.Path, GuardedLoad.EngineOptions);
        return engine.EosTokenIds;
    }

    [TestMethod]
    [DataRow("""{"eos_token_id": 7}""", new[] { 2, 7 })]
    [DataRow("""{"eos_token_id": [7, 9]}""", new[] { 2, 7, 9 })]
    [DataRow("""{"eos_token_id": 7.0}""", new[] { 2, 7 })]
    [DataRow("""{"eos_token_id": [2.0, 9]}""", new[] { 2, 9 })]
    [DataRow("""{"eos_token_id": 2e0}""", new[] { 2 })]
    [DataRow("""{"eos_token_id": null}""", new[] { 2 })]
    [DataRow("""{"eos_token_id": []}""", new[] { 2 })]
    [DataRow("""{"bos_token_id": 1}""", new[] { 2 })]
    public async Task Load_EosTokenIds_JoinConfigsEos(string generationConfig, int[] expected)
    {
        var eos = await EosOf(generationConfig);

        CollectionAssert.AreEquivalent(expected, eos.ToArray());
    }

    [TestMethod]
    [DataRow("""{"eos_token_id": 1.5}""", "eos_token_id")]
    [DataRow("""{"eos_token_id": 1e10}""", "eos_token_id")]
    [DataRow("""{"eos_token_id": -1}""", "eos_token_id")]
    [DataRow("""{"eos_token_id": 512}""", "eos_token_id")]
    [DataRow("""{"eos_token_id": "2"}""", "eos_token_id")]
    [DataRow("""{"eos_token_id": true}""", "eos_token_id")]
    [DataRow("""{"eos_token_id": {"id": 2}}""", "eos_token_id")]
    [DataRow("""{"eos_token_id": [2, 3.5]}""", "eos_token_id[1]")]
    [DataRow("""{"eos_token_id": [2, "3"]}""", "eos_token_id[1]")]
    [DataRow("""{"eos_token_id": [[2]]}""", "eos_token_id[0]")]
    [DataRow("""[2]""", "(document)")]
    [DataRow("""{"eos_token_id": 2""", "(document)")]
    public async Task Load_EosTokenIdNotAnIdInTheVocabulary_ThrowsNamingFieldAndFile(string generationConfig, string field)
    {
        using var dir = FolderWith(generationConfig);

        var ex = await Assert.ThrowsExactlyAsync<InvalidConfigException>(() => LongCatEngine.LoadAsync(dir.Path, GuardedLoad.EngineOptions));

        Assert.AreEqual(field, ex.Field, ex.Message);
        Assert.AreEqual("generation_config.json", ex.File);
        StringAssert.Contains(ex.Message, "generation_config.json");
    }
}
