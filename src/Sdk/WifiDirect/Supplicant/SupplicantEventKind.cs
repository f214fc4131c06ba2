namespace PeerKit.WifiDirect.Supplicant;

/// <summary>The events the native parser recognizes (<c>pk_wpa_event_kind</c>).</summary>
internal enum SupplicantEventKind
{
    Unknown = 0,
    DeviceFound = 1,
    DeviceLost = 2,
    FindStopped = 3,
    GoNegotiationRequest = 4,
    GoNegotiationSuccess = 5,
    GoNegotiationFailure = 6,
    GroupFormationSuccess = 7,
    GroupFormationFailure = 8,
    GroupStarted = 9,
    GroupRemoved = 10,
    InvitationReceived = 11,
    InvitationResult = 12,
    StationConnected = 13,
    StationDisconnected = 14,
    Terminating = 15,
}
