using System.Runtime.InteropServices;

namespace PeerKit;

/// <summary>Owns a <c>pk_radio*</c>; closing waits until no call holds the handle (SafeHandle's reference count).</summary>
internal sealed class RadioHandle : SafeHandle
{
    private readonly SimulatedMediumHandle? _medium;

    public RadioHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    internal RadioHandle(nint radio, SimulatedMediumHandle? medium)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(radio);
        _medium = medium;
        if (medium is not null)
        {
            // The medium outlives its radios.
            bool added = false;
            medium.DangerousAddRef(ref added);
        }
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        RadioNativeMethods.Close(handle);
        _medium?.DangerousRelease();
        return true;
    }
}
