using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace PeerKit.Cli.Tests;

/// <summary>Runs the built <c>peerkit</c> (dotnet PeerKit.Cli.dll) as a child process; always killed on dispose.</summary>
public sealed class CliProcess : IDisposable
{
    public static readonly string ToolPath = typeof(CliProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PeerKit.CliPath").Value!;

    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();

    private CliProcess(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(ToolPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.CompleteAdding();
            }
            else
            {
                _lines.Add(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _errors.Enqueue(e.Data);
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Errors => string.Join("\n", _errors);

    /// <summary>Starts a long-running verb (listen, peers).</summary>
    public static CliProcess Start(params string[] args) => new(args);

    /// <summary>Runs a verb to its end: exit code, standard output lines and standard error lines.</summary>
    public static async Task<(int Exit, string[] Out, string[] Err)> RunAsync(TimeSpan timeout, params string[] args)
    {
        using var process = new CliProcess(args);
        using var cts = new CancellationTokenSource(timeout);
        await process._process.WaitForExitAsync(cts.Token);
        process._process.WaitForExit(); // drains the asynchronous readers
        return (process._process.ExitCode, [.. process._lines], [.. process._errors]);
    }

    /// <summary>The next line of standard output, within <paramref name="timeout"/>.</summary>
    public string ReadLine(TimeSpan timeout)
    {
        if (_lines.TryTake(out string? line, timeout))
        {
            return line;
        }

        throw new TimeoutException($"no output line within {timeout}; stderr: {Errors}");
    }

    /// <summary>Reads lines until one satisfies <paramref name="match"/>.</summary>
    public string ReadUntil(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new List<string>();
        DateTime end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (_lines.TryTake(out string? line, TimeSpan.FromMilliseconds(100)))
            {
                if (match(line))
                {
                    return line;
                }

                seen.Add(line);
            }
        }

        throw new TimeoutException($"no matching line within {timeout}; saw: {string.Join(" | ", seen)}; stderr: {Errors}");
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) for a verb that stops by itself; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
