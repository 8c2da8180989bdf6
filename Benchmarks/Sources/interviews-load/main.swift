import NIOCore
import NIOPosix

// The takeover must happen on the main thread before any task runs, so the
// flag is looked at here, before the command is parsed.
if CommandLine.arguments.contains("--nio-executor") {
    guard NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() else {
        fatalError("--nio-executor: NIO could not take over Swift's global executor")
    }
}
do {
    let command = try LoadCommand.parse()
    try await command.measure()
} catch {
    LoadCommand.exit(withError: error)
}
