using Microsoft.Extensions.DependencyInjection;

namespace LongCat.Sdk.Tests;

/// <summary>A service provider from registrations (AddLongCat returns its ChatClientBuilder, so registrations do not chain).</summary>
internal static class TestServices
{
    public static ServiceProvider Build(params Action<IServiceCollection>[] registrations)
    {
        var services = new ServiceCollection();
        foreach (var register in registrations) register(services);
        return services.BuildServiceProvider();
    }
}
