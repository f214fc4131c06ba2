using System.ComponentModel;

namespace PeerKit;

/// <summary>Helpers the generated dispatch switches call. Not meant for user code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ProtocolDispatch
{
    /// <summary>A completed <see cref="DispatchResult.Handled"/>.</summary>
    public static ValueTask<DispatchResult> Handled => new(DispatchResult.Handled);

    /// <summary>A completed <see cref="DispatchResult.Unhandled"/>.</summary>
    public static ValueTask<DispatchResult> Unhandled => new(DispatchResult.Unhandled);

    /// <summary>A completed <see cref="DispatchResult.UnknownCode"/>.</summary>
    public static ValueTask<DispatchResult> UnknownCode => new(DispatchResult.UnknownCode);

    /// <summary>Decodes a <typeparamref name="T"/> from the rest of <paramref name="reader"/> (a generated switch shares one reader between its cases).</summary>
    /// <exception cref="MessageFormatException">The payload is not a valid <typeparamref name="T"/>.</exception>
    public static T Decode<T>(ref Serialization.MessageReader reader) where T : IMessage<T> => T.Read(ref reader);

    /// <summary><see cref="DispatchResult.Handled"/> once an asynchronous handler completes (no allocation when it completed synchronously).</summary>
    public static ValueTask<DispatchResult> After(ValueTask handler)
    {
        if (handler.IsCompletedSuccessfully)
        {
            handler.GetAwaiter().GetResult();
            return Handled;
        }

        return Await(handler);

        static async ValueTask<DispatchResult> Await(ValueTask handler)
        {
            await handler.ConfigureAwait(false);
            return DispatchResult.Handled;
        }
    }
}
