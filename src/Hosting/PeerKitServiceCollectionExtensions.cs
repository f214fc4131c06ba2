using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PeerKit.Hosting;

/// <summary>Registers a PeerKit node in a generic host (<c>Microsoft.Extensions.Hosting</c>).</summary>
public static class PeerKitServiceCollectionExtensions
{
    /// <summary>
    /// Adds a <see cref="PeerNode"/> singleton with <see cref="PeerNodeSettings"/> bound from <paramref name="configuration"/>
    /// (a section shaped like <see cref="PeerNodeSettings"/>, usually <c>Configuration.GetSection("PeerKit")</c>), validated when the
    /// host starts, and a hosted service that starts the node with the host and stops it with the host.
    /// </summary>
    /// <example>
    /// <code>
    /// var builder = Host.CreateApplicationBuilder(args);
    /// builder.Services.AddPeerKit(builder.Configuration.GetSection("PeerKit")).AddProtocol&lt;ChatProtocol&gt;();
    /// builder.Services.AddHealthChecks().AddPeerKit();
    /// await builder.Build().RunAsync();
    /// </code>
    /// </example>
    public static PeerKitBuilder AddPeerKit(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        PeerKitBuilder builder = services.AddPeerKit();
        string path = configuration is IConfigurationSection section ? section.Path : PeerNodeSettings.DefaultSectionName;
        services.AddOptions<PeerNodeSettings>().Bind(configuration);
        services.RemoveAll<IValidateOptions<PeerNodeSettings>>();
        services.AddSingleton<IValidateOptions<PeerNodeSettings>>(new PeerNodeSettingsValidator(path));
        return builder;
    }

    /// <summary>
    /// Adds a <see cref="PeerNode"/> singleton configured in code (and by any <c>Configure&lt;PeerNodeSettings&gt;</c>), validated
    /// when the host starts, and a hosted service that starts and stops it with the host.
    /// </summary>
    public static PeerKitBuilder AddPeerKit(this IServiceCollection services, Action<PeerNodeSettings>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<PeerNodeSettings> options = services.AddOptions<PeerNodeSettings>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PeerNodeSettings>, PeerNodeSettingsValidator>(_ => new PeerNodeSettingsValidator()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(CreateNode);
        services.TryAddSingleton<PeerNodeService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PeerNodeService>(static s => s.GetRequiredService<PeerNodeService>()));
        return new PeerKitBuilder(services);
    }

    private static PeerNode CreateNode(IServiceProvider services)
    {
        PeerNodeSettings settings = services.GetRequiredService<IOptions<PeerNodeSettings>>().Value;
        PeerNodeOptions options = settings.ToNodeOptions();
        foreach (IProtocol protocol in services.GetServices<IProtocol>())
        {
            options.Protocols.Add(protocol);
        }

        foreach (PeerNodeConfiguration configuration in services.GetServices<PeerNodeConfiguration>())
        {
            configuration.Configure(options, services);
        }

        return new PeerNode(options);
    }
}
