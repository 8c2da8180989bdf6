/// Limits the wire layer enforces on every decode.
public enum WireLimits {
    /// The largest encoded message accepted by default: 4 MiB. The RPC layer's
    /// max frame size is the same number.
    public static let defaultMaxMessageSize = 4 * 1024 * 1024
}
