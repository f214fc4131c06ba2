namespace PeerKit.Cli;

/// <summary>Something a listening node reports: a message ("message") or a saved file ("file").</summary>
public sealed record CliEvent(string Kind, NodeId PeerId, string PeerName, string Text);
