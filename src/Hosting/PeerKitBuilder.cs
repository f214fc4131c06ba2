using Microsoft.Extensions.DependencyInjection;

namespace PeerKit.Hosting;

/// <summary>
/// What <see cref="PeerKitServiceCollectionExtensions.AddPeerKit(IServiceCollection, Action{PeerNodeSettings}?)"/>
/// returns: adds the node's protocols and the options that are code rather than configuration.
/// </summary>
/// <example>
/// <code>
/// builder.Services.AddPeerKit(builder.Configuration.GetSection("PeerKit"))
///     .AddProtocol&lt;ChatProtocol&gt;()
///     .ConfigureNode((options, services) => options.AcceptPolicy = (request, _) => ValueTask.FromResult(request.Name != "spam"));
/// </code>
/// </example>
public sealed class PeerKitBuilder
{
    internal PeerKitBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection the node is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Runs <typeparamref name="TProtocol"/> (created by the container, so it can take services) with every peer.</summary>
    public PeerKitBuilder AddProtocol<TProtocol>()
        where TProtocol : class, IProtocol
    {
        Services.AddSingleton<TProtocol>();
        Services.AddSingleton<IProtocol>(static services => services.GetRequiredService<TProtocol>());
        return this;
    }

    /// <summary>Runs <paramref name="protocol"/> with every peer.</summary>
    public PeerKitBuilder AddProtocol(IProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        Services.AddSingleton(protocol);
        return this;
    }

    /// <summary>
    /// Changes the <see cref="PeerNodeOptions"/> built from configuration before the node is created: an
    /// <see cref="PeerNodeOptions.AcceptPolicy"/>, a <see cref="NodeKey"/> from a secret store, transport options.
    /// </summary>
    public PeerKitBuilder ConfigureNode(Action<PeerNodeOptions, IServiceProvider> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.AddSingleton(new PeerNodeConfiguration(configure));
        return this;
    }
}
