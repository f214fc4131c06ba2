namespace PeerKit;

/// <summary>Handles one typed message received on a radio protocol port.</summary>
/// <typeparam name="T">The message type.</typeparam>
/// <param name="sender">Who sent it, and its RSSI.</param>
/// <param name="message">The decoded message.</param>
public delegate void RadioMessageHandler<T>(RadioSender sender, T message);
