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
