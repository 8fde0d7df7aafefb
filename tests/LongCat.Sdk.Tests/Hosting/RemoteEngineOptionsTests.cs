using LongCat.Sdk.AI;
using LongCat.Sdk.Tests.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace LongCat.Sdk.Tests.Hosting;

/// <summary>
/// <c>AddLongCat</c> with an endpoint: unusable settings fail before any request with an error naming the registration and the
/// option; a valid one registers the remote chat client (no engine), which Semantic Kernel's registered overload shares.
/// </summary>
[TestClass]
public sealed class RemoteEngineOptionsTests
{
    private static readonly Uri Endpoint = new("http://127.0.0.1:9/v1");

    private static OptionsValidationException Invalid(Action<Sdk.Hosting.LongCatServiceOptions> configure)
    {
        using var provider = TestServices.Build(s => s.AddLongCat(configure));
        return Assert.ThrowsExactly<OptionsValidationException>(() => provider.GetRequiredService<IChatClient>());
    }

    [TestMethod]
    [DataRow("ftp://cluster/v1", "Endpoint", "scheme 'ftp'")]
    [DataRow("http://user:pw@cluster:30000/v1", "Endpoint", "credentials")]
    [DataRow("http://cluster:30000/v1?x=1", "Endpoint", "query")]
    [DataRow("v1/chat", "Endpoint", "not an absolute address")]
    public void Validation_UnusableEndpoint_NamesTheOptionAndWhy(string endpoint, string option, string why)
    {
        var e = Invalid(o => o.Endpoint = new Uri(endpoint, UriKind.RelativeOrAbsolute));

        StringAssert.Contains(e.Message, $"AddLongCat: {option}");
        StringAssert.Contains(e.Message, why);
    }

    [TestMethod]
    public void Validation_EndpointAndModelPathBoth_IsRefused()
    {
        var e = Invalid(o => { o.Endpoint = Endpoint; o.ModelPath = TestModels.TinyWithTokenizer; });

        StringAssert.Contains(e.Message, "both ModelPath");
        StringAssert.Contains(e.Message, "Endpoint");
    }

    [TestMethod]
    public void Validation_RemoteSettingsWithoutEndpoint_AndEngineSettingsWithIt_AreRefused()
    {
        var local = Invalid(o => { o.ModelPath = TestModels.TinyWithTokenizer; o.ApiKey = "k"; o.ModelId = "m"; });
        var remote = Invalid(o => { o.Endpoint = Endpoint; o.Engine = new LongCatOptions { KvBlockSize = 16 }; });

        StringAssert.Contains(local.Message, "ApiKey is set but Endpoint is not");
        StringAssert.Contains(local.Message, "ModelId is set but Endpoint is not");
        StringAssert.Contains(remote.Message, "Engine is set with Endpoint");
    }

    [TestMethod]
    [DataRow("", "ApiKey")]
    [DataRow("key\r\nX-Injected: 1", "ApiKey")]
    public void Validation_ApiKeyThatCannotBeAHeader_IsRefused(string key, string option)
    {
        var e = Invalid(o => { o.Endpoint = Endpoint; o.ApiKey = key; });

        StringAssert.Contains(e.Message, $"AddLongCat: {option}");
    }

    [TestMethod]
    public void Validation_KeyedRegistration_NamesItsKey()
    {
        using var provider = TestServices.Build(s => s.AddKeyedLongCat("cluster", o => { o.Endpoint = Endpoint; o.ModelId = " "; }));

        var e = Assert.ThrowsExactly<OptionsValidationException>(() => provider.GetRequiredKeyedService<IChatClient>("cluster"));

        StringAssert.Contains(e.Message, "AddKeyedLongCat(\"cluster\"): ModelId");
    }

    [TestMethod]
    public void Endpoint_RegistersTheRemoteClient_NotAnEngine()
    {
        using var provider = TestServices.Build(s => s.AddLongCat(o => { o.Endpoint = Endpoint; o.ModelId = "demo"; }));

        var client = provider.GetRequiredService<IChatClient>();
        var metadata = client.GetService<ChatClientMetadata>()!;
        var noEngine = Assert.ThrowsExactly<InvalidOperationException>(() => provider.GetRequiredService<LongCatEngine>());
        Assert.ThrowsExactly<InvalidOperationException>(() => provider.GetRequiredService<LongCatChatClient>());

        Assert.AreEqual((LongCatChatClient.ProviderName, Endpoint, "demo"), (metadata.ProviderName, metadata.ProviderUri, metadata.DefaultModelId));
        StringAssert.Contains(noEngine.Message, Endpoint.ToString());
    }

    [TestMethod]
    public void SemanticKernel_RegisteredOverload_AnswersFromTheRegisteredEndpoint()
    {
        var builder = Kernel.CreateBuilder();
        builder.Services.AddLongCat(o => { o.Endpoint = Endpoint; o.ModelId = "demo"; });
        builder.AddLongCatChatCompletion();

        var service = (LongCat.Sdk.SemanticKernel.LongCatChatCompletionService)builder.Build().GetRequiredService<IChatCompletionService>();

        Assert.AreEqual("demo", service.Attributes[Microsoft.SemanticKernel.Services.AIServiceExtensions.ModelIdKey]);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => service.ChatClient);
        StringAssert.Contains(e.Message, Endpoint.ToString());
    }

    [TestMethod]
    [DataRow("ftp://cluster/v1", null, "endpoint")]
    [DataRow("http://cluster/v1", " padded ", "apiKey")]
    public void SemanticKernel_EndpointOverload_RefusesAnUnusableSettingAtOnce(string endpoint, string? key, string parameter)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => Kernel.CreateBuilder().AddLongCatChatCompletion(new Uri(endpoint), key));

        Assert.AreEqual(parameter, e.ParamName);
    }

    [TestMethod]
    public async Task ApiKey_IsSentToTheEndpoint()
    {
        await using var server = await CannedServer.StartAsync();
        server.Chunks.Add(CannedServer.Content("ok", "stop"));
        using var provider = TestServices.Build(s => s.AddLongCat(o => { o.Endpoint = server.Endpoint; o.ApiKey = "from-options"; }));

        var response = await provider.GetRequiredService<IChatClient>().GetResponseAsync("Hi");

        Assert.AreEqual("ok", response.Text);
        Assert.AreEqual("Bearer from-options", server.Authorizations.Single());
    }
}
