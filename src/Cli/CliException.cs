namespace PeerKit.Cli;

/// <summary>A failure a command reports as one line with exit code <see cref="ExitCode"/>.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Failure, int? code = null) : Exception(message)
{
    /// <summary>The process exit code.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>An error code of the layer that failed (OpenHarmony's for Wi-Fi P2P), written as <c>code</c> with <c>--json</c>.</summary>
    public int? Code { get; } = code;
}
