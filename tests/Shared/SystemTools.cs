using System.Diagnostics;
using System.Text;

namespace PeerKit.Testing;

/// <summary>
/// The system programs the tests need (wpa_supplicant, ip, nft), installed with apt-get when missing, as CI starts from a
/// clean machine. When a program cannot be had, <see cref="Require"/> throws with exactly why, so the test fails
/// saying so rather than passing without having run.
/// </summary>
internal static class SystemTools
{
    private static readonly SemaphoreSlim s_install = new(1, 1);
    private static readonly Dictionary<string, string?> s_found = [];

    public static bool IsRoot => Environment.UserName == "root" || Run("id", "-u", TimeSpan.FromSeconds(10)).Output.Trim() == "0";

    /// <summary>The full path of <paramref name="program"/>, installing <paramref name="package"/> first when it is missing.</summary>
    public static string Require(string program, string package)
    {
        s_install.Wait();
        try
        {
            if (s_found.TryGetValue(program, out string? known) && known is not null)
            {
                return known;
            }

            string? path = Find(program);
            if (path is null)
            {
                if (!OperatingSystem.IsLinux())
                {
                    throw new InvalidOperationException($"'{program}' is needed and this test installs it only on Linux (Debian package {package}).");
                }

                if (!IsRoot)
                {
                    throw new InvalidOperationException(
                        $"'{program}' is not installed and this process is not root, so it cannot run 'apt-get install {package}'. Install it, or run the tests as root (CI does).");
                }

                if (Find("apt-get") is null)
                {
                    throw new InvalidOperationException($"'{program}' is not installed and there is no apt-get to install Debian package {package}.");
                }

                var log = new StringBuilder();
                (int code, string output) = Run("apt-get", $"install -y --no-install-recommends {package}", TimeSpan.FromMinutes(10), apt: true);
                log.AppendLine(output);
                if (code != 0)
                {
                    (int updateCode, string updateOutput) = Run("apt-get", "update", TimeSpan.FromMinutes(10), apt: true);
                    log.AppendLine(updateOutput);
                    (code, output) = updateCode == 0 ? Run("apt-get", $"install -y --no-install-recommends {package}", TimeSpan.FromMinutes(10), apt: true) : (updateCode, "");
                    log.AppendLine(output);
                }

                path = Find(program);
                if (code != 0 || path is null)
                {
                    throw new InvalidOperationException($"'{program}' is not installed and 'apt-get install {package}' failed (exit {code}):\n{Tail(log.ToString())}");
                }
            }

            s_found[program] = path;
            return path;
        }
        finally
        {
            s_install.Release();
        }
    }

    public static (int Code, string Output) Run(string program, string arguments, TimeSpan timeout, bool apt = false)
    {
        var info = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (apt)
        {
            info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        }

        try
        {
            using var p = Process.Start(info)!;
            Task<string> stdout = p.StandardOutput.ReadToEndAsync();
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout))
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
                return (-1, $"{program} {arguments}: timed out after {timeout}");
            }

            return (p.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"{program}: {e.Message}");
        }
    }

    private static string? Find(string program)
    {
        string[] folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]).ToArray();
        return folders.Where(f => f.Length > 0).Select(f => Path.Combine(f, program)).FirstOrDefault(File.Exists);
    }

    private static string Tail(string text) => text.Length > 3000 ? text[^3000..] : text;
}
