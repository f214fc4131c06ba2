using System.Text.RegularExpressions;
using PeerKit.Tests.Protocols;

namespace PeerKit.Tests.Transports;

/// <summary>The node and the sessions reach peers only through transports and links, never sockets or concrete links.</summary>
public sealed partial class NodeLayeringTests
{
    [GeneratedRegex(@"\b(Socket|TcpLink|TcpLinkListener|UdpLink|UdpEndpoint)\b")]
    private static partial Regex ConcreteTransportTypes();

    [Theory]
    [InlineData("Nodes")]
    [InlineData("Sessions")]
    public void Node_and_session_code_names_no_socket_and_no_concrete_link(string folder)
    {
        string directory = Path.Combine(BaseProtocolContractTests.ContractsDirectory, "..", "src", "Sdk", folder);
        string[] files = Directory.GetFiles(directory, "*.cs");
        Assert.NotEmpty(files);
        var found = new List<string>();
        foreach (string file in files)
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string code = lines[i].TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal))
                {
                    continue;
                }

                int comment = code.IndexOf("//", StringComparison.Ordinal);
                if (comment >= 0)
                {
                    code = code[..comment];
                }

                foreach (Match match in ConcreteTransportTypes().Matches(code))
                {
                    found.Add($"{Path.GetFileName(file)}:{i + 1}: {match.Value}");
                }
            }
        }

        Assert.Empty(found);
    }
}
