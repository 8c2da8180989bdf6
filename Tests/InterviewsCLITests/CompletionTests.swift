import Foundation
import Testing

/// A word to complete after some words, and what bash must offer for it.
struct CompletionCase: Sendable, CustomTestStringConvertible {
    var words: [String]
    var current: String
    var expected: Set<String>

    var testDescription: String { (words + [current + "<TAB>"]).joined(separator: " ") }
}

@Suite("Shell completion: commands, flags and flag values")
struct CompletionTests {
    static let cases = [
        CompletionCase(words: ["list", "--status"], current: "in", expected: ["in_progress"]),
        CompletionCase(words: ["create", "--status"], current: "c", expected: ["completed", "cancelled"]),
        CompletionCase(words: ["import", "--format"], current: "k", expected: ["kombo"]),
        CompletionCase(words: ["list", "--order-by"], current: "s", expected: ["start_at"]),
        CompletionCase(words: ["list", "--output"], current: "js", expected: ["json", "jsonl"]),
        CompletionCase(words: ["completion"], current: "", expected: ["bash", "zsh", "fish"]),
        CompletionCase(words: [], current: "ex", expected: ["export"]),
    ]

    @Test("bash offers the values of --status, --format, --order-by and --output", arguments: cases)
    func bash(_ test: CompletionCase) async throws {
        let executable = try CommandLineTool.path()
        let words = (["interviews"] + test.words + [test.current]).map(Terminal.quoted).joined(separator: " ")
        let line = (["interviews"] + test.words + [test.current]).joined(separator: " ")
        let previous = test.words.last ?? "interviews"
        let script = """
            source <(\(Terminal.quoted(executable)) completion bash)
            COMP_WORDS=(\(words))
            COMP_CWORD=\(test.words.count + 1)
            COMP_LINE=\(Terminal.quoted(line))
            COMP_POINT=${#COMP_LINE}
            _interviews interviews \(Terminal.quoted(test.current)) \(Terminal.quoted(previous))
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let result = try await CommandLineTool.run(executable: "/bin/bash", ["-c", script])
        #expect(result.status == 0, "\(result)")
        let offered = Set(result.stdout.split(separator: "\n").map { String($0) }.filter { !$0.isEmpty })
        #expect(offered == test.expected, "\(result)")
    }

    @Test("zsh and fish scripts carry the same values; an unknown shell is a usage error")
    func otherShells() async throws {
        for shell in ["zsh", "fish"] {
            let result = try await CommandLineTool.run(["completion", shell])
            #expect(result.status == 0, "\(result)")
            for value in ["in_progress", "kombo", "start_at", "jsonl"] {
                #expect(result.stdout.contains(value), "\(shell) script lacks \(value)")
            }
        }
        let bad = try await CommandLineTool.run(["completion", "ksh"])
        #expect(bad.status == 64, "\(bad)")
        #expect(bad.stderr.contains("Please provide one of 'bash', 'zsh' or 'fish'"), "\(bad)")
        #expect(bad.stdout.isEmpty)
    }
}
