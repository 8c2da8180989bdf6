import ArgumentParser

/// The unary calls the load generator makes.
enum CallKind: String, CaseIterable, Sendable {
    /// GetInterview of a preloaded record.
    case get
    /// ListInterviews of a company, created_at descending, page_size 20.
    case list
    /// CreateInterview of a new record.
    case create
}

/// Weights of the calls, from `get=8,list=1,create=1`.
struct CallMix: Sendable {
    private var table: [CallKind] = []

    init(_ text: String) throws {
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=")
            guard parts.count == 2, let kind = CallKind(rawValue: String(parts[0])), let weight = Int(parts[1]),
                (0...1000).contains(weight)
            else {
                throw ValidationError(
                    "--mix: \"\(item)\" is not <call>=<weight>; calls: get, list, create; weights 0...1000")
            }
            table += Array(repeating: kind, count: weight)
        }
        guard !table.isEmpty else { throw ValidationError("--mix: every weight is 0") }
    }

    /// The call for a uniform random number.
    func pick(_ random: UInt64) -> CallKind { table[Int(random % UInt64(table.count))] }

    /// The kinds with a non-zero weight.
    var kinds: [CallKind] { CallKind.allCases.filter(table.contains) }
}
