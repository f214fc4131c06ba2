using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PeerKit.Benchmarks;

/// <summary>The messages one operation expects, and the signal that they all arrived.</summary>
internal sealed class Batch(int count, byte[]? expected)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Completion => _done.Task;

    public int Received { get; private set; }

    public bool Expects => expected is not null;

    /// <summary>Counts one message (called by the single reader); checks its payload when the batch has an expected one.</summary>
    public void OnMessage(ReadOnlySpan<byte> payload)
    {
        if (expected is not null && !payload.SequenceEqual(expected))
        {
            _done.TrySetException(new InvalidOperationException(
                $"Session throughput check failed: received {payload.Length} bytes that differ from the {expected.Length} sent."));
            return;
        }

        if (++Received == count)
        {
            _done.TrySetResult();
        }
    }
}

/// <summary>
/// The baseline: a TLS connection over TCP loopback (NoDelay, like PeerKit's link), framed as a 4-byte
/// big-endian length and the payload; the benchmark's task writes, one reader task reads and counts.
/// </summary>
internal sealed class SslPipe : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Socket _clientSocket;
    private readonly Socket _serverSocket;
    private readonly SslStream _client;
    private readonly SslStream _server;
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private Batch? _batch;

    private SslPipe(Socket clientSocket, Socket serverSocket, SslStream client, SslStream server, X509Certificate2 certificate)
    {
        _clientSocket = clientSocket;
        _serverSocket = serverSocket;
        _client = client;
        _server = server;
        _certificate = certificate;
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>A 4-byte big-endian length, then <paramref name="payload"/>.</summary>
    public static byte[] LengthPrefixed(byte[] payload)
    {
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame, 4);
        return frame;
    }

    public string Description =>
        $"{_client.SslProtocol}, {_client.NegotiatedCipherSuite}, server certificate {_certificate.PublicKey.Oid.FriendlyName} {_certificate.GetECDsaPublicKey()?.KeySize}-bit, self-signed";

    public static async Task<SslPipe> CreateAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using X509Certificate2 ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Round-trip through PKCS#12 so the private key is usable by the TLS stack on every platform.
        X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task<Socket> accepted = listener.AcceptAsync();
        await clientSocket.ConnectAsync(listener.LocalEndPoint!).ConfigureAwait(false);
        Socket serverSocket = await accepted.ConfigureAwait(false);
        serverSocket.NoDelay = true;

        var client = new SslStream(new NetworkStream(clientSocket, ownsSocket: false));
        var server = new SslStream(new NetworkStream(serverSocket, ownsSocket: false));
        var serverOptions = new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
        };
        var clientOptions = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
            RemoteCertificateValidationCallback = (_, remote, _, _) => remote is not null && remote.GetCertHashString() == certificate.GetCertHashString(),
        };
        if (OperatingSystem.IsLinux())
        {
            // The same AEAD as PeerKit's link (NoiseCipherState.Default is ChaCha20-Poly1305 where supported),
            // so the comparison is about framing and the send path, not AES-GCM against ChaCha20.
            clientOptions.CipherSuitesPolicy = new CipherSuitesPolicy([TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256]);
        }

        await Task.WhenAll(server.AuthenticateAsServerAsync(serverOptions), client.AuthenticateAsClientAsync(clientOptions)).WaitAsync(Timeout).ConfigureAwait(false);
        return new SslPipe(clientSocket, serverSocket, client, server, certificate);
    }

    /// <summary>Writes <paramref name="count"/> copies of <paramref name="frame"/> (one write each) and waits until the reader counted them.</summary>
    public async Task SendBatchAsync(byte[] frame, int count, bool verify = false)
    {
        var batch = new Batch(count, verify ? frame[4..] : null);
        Volatile.Write(ref _batch, batch);
        for (int i = 0; i < count; i++)
        {
            await _client.WriteAsync(frame).ConfigureAwait(false);
        }

        await batch.Completion.WaitAsync(Timeout).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _clientSocket.Shutdown(SocketShutdown.Both);
        _serverSocket.Shutdown(SocketShutdown.Both);
        try
        {
            await _reader.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await _client.DisposeAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        _clientSocket.Dispose();
        _serverSocket.Dispose();
        _certificate.Dispose();
        _stop.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        byte[] header = new byte[4];
        byte[] payload = new byte[64 * 1024];
        while (true)
        {
            int read = await _server.ReadAtLeastAsync(header, 4, throwOnEndOfStream: false, stop).ConfigureAwait(false);
            if (read < 4)
            {
                return;
            }

            int length = BinaryPrimitives.ReadInt32BigEndian(header);
            await _server.ReadExactlyAsync(payload.AsMemory(0, length), stop).ConfigureAwait(false);
            Volatile.Read(ref _batch)?.OnMessage(payload.AsSpan(0, length));
        }
    }
}
