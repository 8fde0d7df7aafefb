using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LongCat.Sdk.Server;

/// <summary>
/// Fails the host's start when the server listens beyond this machine with no API key: the addresses are known only once the
/// server has bound them, so the check runs when the host has started (StartAsync then throws and the host stops). Until then,
/// and for any address this misses, <see cref="OpenAIServer"/> refuses keyless requests that arrive on a non-loopback address.
/// </summary>
internal sealed class LoopbackGuard(IServiceProvider services, IOptions<LongCatServerOptions> options) : IHostedLifecycleService
{
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (options.Value.ApiKeys.Count > 0) return Task.CompletedTask;
        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (string address in addresses)
            if (!Loopback.IsLoopbackUrl(address))
                throw new InvalidOperationException(
                    $"LongCat server: listening on {address} with no API key would let anyone who reaches it use the model. " +
                    "Set an API key (LongCatServerOptions.ApiKeys; longcat serve --api-key KEY) or listen on a loopback address (127.0.0.1, [::1]).");
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
