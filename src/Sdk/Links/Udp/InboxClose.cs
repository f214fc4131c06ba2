namespace PeerKit.Links.Udp;

/// <summary>A close decided under a link's lock, applied to its inbox once the lock is released: the reason, the
/// cause, whether frames not yet received are discarded, and the frames held for the end of a receive run.</summary>
internal sealed record InboxClose(LinkCloseReason Reason, Exception? Cause, bool DiscardPending, List<LinkInbox.Entry> Held);
