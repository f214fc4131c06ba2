namespace PeerKit.Routing;

/// <summary>The router refused a request (a session without a valid token, a room that does not exist…); <see cref="Status"/> says why.</summary>
public sealed class RouterRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RouterRequestException(RouterStatus status, string detail)
        : base(string.IsNullOrEmpty(detail) ? $"The router refused: {status}." : $"The router refused: {status}: {detail}")
    {
        Status = status;
        Detail = detail;
    }

    /// <summary>The router's status.</summary>
    public RouterStatus Status { get; }

    /// <summary>The router's explanation.</summary>
    public string Detail { get; }
}
