#if canImport(Glibc)
    import Glibc
#endif

/// Where the server listens and keeps its data unless told otherwise; the
/// client commands use the same defaults, so the two find each other.
enum Defaults {
    /// `$INTERVIEWS_SOCKET`, else `$XDG_RUNTIME_DIR/interviews.sock`, else
    /// ``privateSocketPath`` (`${TMPDIR:-/tmp}/interviews-<uid>/interviews.sock`).
    static var socketPath: String {
        if let path = environment("INTERVIEWS_SOCKET") { return path }
        if let runtime = environment("XDG_RUNTIME_DIR") { return runtime + "/interviews.sock" }
        return privateSocketPath
    }

    /// The last default: a socket inside ``privateSocketDirectory``, a
    /// directory only this user may use, so that no other user can take the
    /// path first (as anyone could in a world-writable `/tmp`).
    static var privateSocketPath: String { privateSocketDirectory + "/interviews.sock" }

    /// `${TMPDIR:-/tmp}/interviews-<uid>`: created 0700 by the server, and
    /// refused by server and clients unless it is a real directory owned by
    /// this user that no one else may use (see ``PrivateDirectory``).
    static var privateSocketDirectory: String {
        var base = environment("TMPDIR") ?? "/tmp"
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        return (base == "/" ? "" : base) + "/interviews-\(geteuid())"
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

/// The owner-only directory the default socket lives in.
enum PrivateDirectory {
    /// Creates `path` with mode 0700 when missing, then checks it (see ``check(_:)``).
    ///
    /// - Throws: ``CLIError`` PERMISSION_DENIED naming the directory, what is
    ///   wrong with it and what to do.
    static func ensure(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw CLIError(
                .permissionDenied,
                "cannot create the socket directory \(path): \(String(cString: strerror(errno))); use --socket or INTERVIEWS_SOCKET to choose another path"
            )
        }
        try check(path)
    }

    /// Checks that `path` is a real directory (not a symbolic link), owned by
    /// this user, without any group or other permission bits: a directory
    /// another user made or can write could hold an impostor's socket.
    ///
    /// - Parameter missingIsFine: when true, a missing directory passes (a
    ///   client then simply finds no server).
    /// - Throws: ``CLIError`` PERMISSION_DENIED naming the directory, what is
    ///   wrong with it and what to do.
    static func check(_ path: String, missingIsFine: Bool = false) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT && missingIsFine { return }
            throw CLIError(
                .permissionDenied, "cannot inspect the socket directory \(path): \(String(cString: strerror(errno)))")
        }
        let advice =
            "another user may have made it to intercept connections; remove it (as root if need be) or use --socket or INTERVIEWS_SOCKET to choose another path"
        let type = info.st_mode & S_IFMT
        guard type != S_IFLNK else {
            throw CLIError(
                .permissionDenied, "the socket directory \(path) is a symbolic link, not a directory; \(advice)")
        }
        guard type == S_IFDIR else {
            throw CLIError(.permissionDenied, "the socket directory \(path) is not a directory; \(advice)")
        }
        let uid = geteuid()
        guard info.st_uid == uid else {
            throw CLIError(
                .permissionDenied,
                "the socket directory \(path) belongs to uid \(info.st_uid), not to you (uid \(uid)); \(advice)")
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 == 0 else {
            throw CLIError(
                .permissionDenied,
                "the socket directory \(path) has mode \(octal(mode)); it must have no group or other permissions (0700), or another user could replace the socket in it. Run `chmod 700 \(path)` if you made it, else remove it"
            )
        }
    }
}

/// A file mode in octal with a leading zero, e.g. `0755`.
func octal(_ mode: mode_t) -> String {
    let digits = String(mode, radix: 8)
    return "0" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
}
