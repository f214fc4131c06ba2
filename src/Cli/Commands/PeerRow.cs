namespace PeerKit.Cli.Commands;

/// <summary>One row of the peers table (and of its JSON snapshot).</summary>
public sealed record PeerRow(string Id, string Name, string? Address, string Path, double? RttMs, double? Loss, double InPerSecond, double OutPerSecond, long? Queued);
