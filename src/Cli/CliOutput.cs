using System.Text.Json;

namespace PeerKit.Cli;

/// <summary>
/// Where a command writes: one human line, or with <c>--json</c> one JSON object per line (snake_case keys) for
/// scripts. Errors are one line on standard error in both modes.
/// </summary>
public sealed class CliOutput(bool json, TextWriter? output = null, TextWriter? error = null)
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly TextWriter _out = output ?? Console.Out;
    private readonly TextWriter _error = error ?? Console.Error;

    /// <summary>Whether output is JSON lines.</summary>
    public bool Json { get; } = json;

    /// <summary>Writes <paramref name="human"/>, or <paramref name="record"/> as a JSON line.</summary>
    public void Write(string human, object record)
    {
        lock (_out)
        {
            _out.WriteLine(Json ? JsonSerializer.Serialize(record, s_json) : human);
            _out.Flush();
        }
    }

    /// <summary>Writes one error line: <c>peerkit: error: …</c> (in JSON mode <c>{"error": …}</c> on standard error).</summary>
    /// <param name="message">The error.</param>
    /// <param name="code">An error code of the failing layer (OpenHarmony's for Wi-Fi P2P), also written as <c>"code"</c> in JSON.</param>
    public void Error(string message, int? code = null)
    {
        string line = message.ReplaceLineEndings(" ");
        string json = code is { } c ? JsonSerializer.Serialize(new { error = line, code = c }, s_json) : JsonSerializer.Serialize(new { error = line }, s_json);
        _error.WriteLine(Json ? json : $"peerkit: error: {line}");
        _error.Flush();
    }
}
