using Microsoft.Extensions.Options;

namespace PeerKit.Hosting;

/// <summary>
/// Checks <see cref="PeerNodeSettings"/> when the host starts and names every bad key with its configuration path and
/// what it should be, e.g. <c>PeerKit:ListenAddresses[0]: "tcp//x" is not a node address (scheme://[id@]host:port, scheme tcp or udp)</c>.
/// </summary>
public sealed class PeerNodeSettingsValidator : IValidateOptions<PeerNodeSettings>
{
    private readonly string _section;

    /// <summary>Creates a validator whose messages name keys under <paramref name="section"/>.</summary>
    public PeerNodeSettingsValidator(string section = PeerNodeSettings.DefaultSectionName) => _section = section;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PeerNodeSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrEmpty(options.Name) || System.Text.Encoding.UTF8.GetByteCount(options.Name) > 256)
        {
            errors.Add($"{_section}:Name must be 1 to 256 bytes of UTF-8.");
        }

        AtLeast(errors, nameof(options.MaxPeers), options.MaxPeers, 0);
        AtLeast(errors, nameof(options.MaxPendingPeers), options.MaxPendingPeers, 1);
        AtLeast(errors, nameof(options.DialRatio), options.DialRatio, 0);
        AtLeast(errors, nameof(options.InboundQueueCapacity), options.InboundQueueCapacity, 1);
        AtLeast(errors, nameof(options.ReadQueueCapacity), options.ReadQueueCapacity, 1);
        AtLeast(errors, nameof(options.EventQueueCapacity), options.EventQueueCapacity, 1);
        AtLeast(errors, nameof(options.InboundQueueBytes), options.InboundQueueBytes, 1024);
        AtLeast(errors, nameof(options.ReadQueueBytes), options.ReadQueueBytes, 1024);
        AtLeast(errors, nameof(options.MemoryBudgetBytes), options.MemoryBudgetBytes, 64 * 1024);
        if (!Enum.IsDefined(options.MemoryBudgetPolicy))
        {
            errors.Add($"{_section}:{nameof(options.MemoryBudgetPolicy)} is {options.MemoryBudgetPolicy}; it must be Refuse or DropLargestPeer.");
        }
        AtLeast(errors, nameof(options.PeerErrorLogLimit), options.PeerErrorLogLimit, 1);
        Positive(errors, nameof(options.HandshakeTimeout), options.HandshakeTimeout);
        Positive(errors, nameof(options.DialTimeout), options.DialTimeout);
        Positive(errors, nameof(options.IdleTimeout), options.IdleTimeout);
        Positive(errors, nameof(options.PingInterval), options.PingInterval);
        Positive(errors, nameof(options.PingTimeout), options.PingTimeout);
        Positive(errors, nameof(options.DisconnectTimeout), options.DisconnectTimeout);
        Positive(errors, nameof(options.StaticRedialMinDelay), options.StaticRedialMinDelay);
        Positive(errors, nameof(options.StaticRedialMaxDelay), options.StaticRedialMaxDelay);
        Positive(errors, nameof(options.PeerErrorLogWindow), options.PeerErrorLogWindow);
        if (options.StaticRedialMaxDelay < options.StaticRedialMinDelay)
        {
            errors.Add($"{_section}:StaticRedialMaxDelay ({options.StaticRedialMaxDelay}) is shorter than StaticRedialMinDelay ({options.StaticRedialMinDelay}).");
        }

        Addresses(errors, nameof(options.ListenAddresses), options.ListenAddresses);
        Addresses(errors, nameof(options.StaticPeers), options.StaticPeers);
        for (int i = 0; i < options.TrustedPeers.Count; i++)
        {
            if (!NodeId.TryParse(options.TrustedPeers[i], out _))
            {
                errors.Add($"{_section}:TrustedPeers[{i}]: \"{options.TrustedPeers[i]}\" is not a node id ({NodeId.HexLength} hex digits).");
            }
        }

        if (options.IdentityPath is { Length: > 0 } path && Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder && !Directory.Exists(folder))
        {
            errors.Add($"{_section}:IdentityPath: the folder {folder} does not exist (the key file is created there when missing).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void AtLeast(List<string> errors, string key, long value, long minimum)
    {
        if (value < minimum)
        {
            errors.Add($"{_section}:{key} is {value}; it must be at least {minimum}.");
        }
    }

    private void Positive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{_section}:{key} is {value}; it must be a positive duration such as \"00:00:05\".");
        }
    }

    private void Addresses(List<string> errors, string key, List<string> addresses)
    {
        for (int i = 0; i < addresses.Count; i++)
        {
            if (!NodeAddress.TryParse(addresses[i], out NodeAddress? address) || address.Scheme is not (NodeAddress.Tcp or NodeAddress.Udp))
            {
                errors.Add($"{_section}:{key}[{i}]: \"{addresses[i]}\" is not a node address (scheme://[id@]host:port, scheme tcp or udp).");
            }
        }
    }
}
