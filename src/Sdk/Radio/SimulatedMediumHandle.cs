using System.Runtime.InteropServices;

namespace PeerKit;

/// <summary>Owns a <c>pk_sim_medium*</c>; destroyed once the medium and all its radios are closed.</summary>
internal sealed class SimulatedMediumHandle : SafeHandle
{
    public SimulatedMediumHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    internal SimulatedMediumHandle(nint medium)
        : base(IntPtr.Zero, ownsHandle: true) => SetHandle(medium);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        RadioNativeMethods.MediumDestroy(handle);
        return true;
    }
}
