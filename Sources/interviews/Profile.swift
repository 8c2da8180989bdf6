import ArgumentParser
import Foundation
import Synchronization

/// Client settings from a profile of the config file, like kubectl's
/// contexts: `--profile NAME` or `$INTERVIEWS_PROFILE` chooses one, else
/// the `[default]` section when the file has one.
///
/// The file is `$INTERVIEWS_CONFIG`, else `$XDG_CONFIG_HOME/interviews/config`,
/// else `~/.config/interviews/config`:
///
/// ```ini
/// # comments start with # or ;
/// [default]
/// socket = /run/interviews/interviews.sock
/// api-key-file = ~/.config/interviews/acme.key
/// company = acme
/// output = table
/// ```
///
/// A flag wins over an environment variable, which wins over the profile,
/// which wins over the built-in default.
struct Profile: Sendable, Equatable {
    var name: String
    var socket: String?
    var apiKeyFile: String?
    var company: String?
    var output: ClientOptions.Output?

    /// The keys a profile may set.
    static let keys = ["socket", "api-key-file", "company", "output"]

    /// The config file's path.
    static var path: String {
        if let path = Defaults.environment("INTERVIEWS_CONFIG") { return path }
        if let config = Defaults.environment("XDG_CONFIG_HOME") { return config + "/interviews/config" }
        return (Defaults.environment("HOME") ?? "/") + "/.config/interviews/config"
    }

    /// The profile chosen for this run, once ``load(named:)`` has run.
    static var current: Profile? { chosen.withLock { $0 } }

    private static let chosen = Mutex<Profile?>(nil)

    /// Loads the profile `name` (else `$INTERVIEWS_PROFILE`, else `default`
    /// if the file has it) and makes it ``current``.
    ///
    /// - Throws: a usage error naming the file (and line) when the file
    ///   cannot be read, does not parse, or lacks a profile that was named.
    static func load(named name: String?) throws {
        let requested = name ?? Defaults.environment("INTERVIEWS_PROFILE")
        let path = Self.path
        guard FileManager.default.fileExists(atPath: path) else {
            if let requested {
                throw ValidationError(
                    "profile \"\(requested)\": there is no config file at \(path); write one with a [\(requested)] section (README, \"Profiles\"), or point INTERVIEWS_CONFIG at one"
                )
            }
            return
        }
        let bytes: [UInt8]
        do {
            bytes = try InputFile.read(path, option: "config file")
        } catch {
            throw ValidationError("\(error.message)")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let profiles = try parse(text, path: path)
        let wanted = requested ?? "default"
        guard let profile = profiles.first(where: { $0.name == wanted }) else {
            if requested == nil { return }
            let names = profiles.map(\.name)
            throw ValidationError(
                "profile \"\(wanted)\" is not in \(path); "
                    + (names.isEmpty ? "it has no profiles" : "it has \(names.joined(separator: ", "))"))
        }
        chosen.withLock { $0 = profile }
    }

    /// The profiles of a config file's text, in file order.
    static func parse(_ text: String, path: String) throws -> [Profile] {
        var profiles: [Profile] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let where_ = "\(path):\(offset + 1)"
            let line = rawLine.trimmingCharacters(in: .whitespaces.union(.init(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else {
                    throw ValidationError("\(where_): \"\(line)\" is not a [profile] line")
                }
                let name = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                guard !profiles.contains(where: { $0.name == name }) else {
                    throw ValidationError("\(where_): profile [\(name)] appears twice")
                }
                profiles.append(Profile(name: name))
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ValidationError("\(where_): \"\(line)\" is not key = value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !profiles.isEmpty else {
                throw ValidationError("\(where_): \(key) comes before any [profile] line")
            }
            guard !value.isEmpty else { throw ValidationError("\(where_): \(key) has no value") }
            var profile = profiles[profiles.count - 1]
            switch key {
            case "socket": profile.socket = expanded(value)
            case "api-key-file": profile.apiKeyFile = expanded(value)
            case "company": profile.company = value
            case "output":
                guard let output = ClientOptions.Output(rawValue: value) else {
                    let known = ClientOptions.Output.allCases.map(\.rawValue).joined(separator: ", ")
                    throw ValidationError("\(where_): output \"\(value)\" is not one of \(known)")
                }
                profile.output = output
            default:
                throw ValidationError(
                    "\(where_): \"\(key)\" is not a profile setting; the settings are \(keys.joined(separator: ", "))")
            }
            profiles[profiles.count - 1] = profile
        }
        return profiles
    }

    /// `~/x` as `$HOME/x`; anything else as it is.
    private static func expanded(_ path: String) -> String {
        guard path.hasPrefix("~/"), let home = Defaults.environment("HOME") else { return path }
        return home + path.dropFirst()
    }
}
