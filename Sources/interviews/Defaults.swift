#if canImport(Glibc)
    import Glibc
#endif

/// Where the server listens and keeps its data unless told otherwise; the
/// client commands use the same defaults, so the two find each other.
enum Defaults {
    /// `$INTERVIEWS_SOCKET`, else `$XDG_RUNTIME_DIR/interviews.sock`, else `/tmp/interviews-<uid>.sock`.
    static var socketPath: String {
        if let path = environment("INTERVIEWS_SOCKET") { return path }
        if let runtime = environment("XDG_RUNTIME_DIR") { return runtime + "/interviews.sock" }
        return "/tmp/interviews-\(geteuid()).sock"
    }

    /// `$INTERVIEWS_DATA_DIR`, else `$XDG_DATA_HOME/interviews`, else `$HOME/.local/share/interviews`.
    static var dataDirectory: String {
        if let path = environment("INTERVIEWS_DATA_DIR") { return path }
        if let data = environment("XDG_DATA_HOME") { return data + "/interviews" }
        return (environment("HOME") ?? "/tmp") + "/.local/share/interviews"
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let string = String(cString: value)
        return string.isEmpty ? nil : string
    }
}
