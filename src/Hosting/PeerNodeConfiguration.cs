namespace PeerKit.Hosting;

/// <summary>One <see cref="PeerKitBuilder.ConfigureNode"/> callback, as registered in the container.</summary>
internal sealed record PeerNodeConfiguration(Action<PeerNodeOptions, IServiceProvider> Configure);
