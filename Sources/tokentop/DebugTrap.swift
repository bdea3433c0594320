import Foundation
import Synchronization
import TokenKit

/// Debug builds only: `TOKENTOP_DEBUG_TRAP_IN_FETCH=MS` makes the first token request trap
/// (fatalError) after MS milliseconds, so the end-to-end tests can prove a crash in a background
/// task restores the terminal (docs/faults.md). A wrapper around the real transport, so the
/// transport itself carries no test hook; release builds never wrap.
struct DebugTrapTransport: HTTPTransport {
    let inner: any HTTPTransport
    let after: Duration
    /// One trap, like a real crash; the other fetches wait for the end.
    private static let trapped = Atomic(false)

    /// `transport`, wrapped when the hook is asked for in a debug build.
    static func wrapping(_ transport: any HTTPTransport) -> any HTTPTransport {
        #if DEBUG
        if let ms = ProcessInfo.processInfo.environment["TOKENTOP_DEBUG_TRAP_IN_FETCH"].flatMap(Int.init) {
            return DebugTrapTransport(inner: transport, after: .milliseconds(ms))
        }
        #endif
        return transport
    }

    func send(_ request: HTTPRequestData, timeout: Duration, bodyLimit: Int) async throws(TransportError) -> HTTPResponseData {
        try? await Task.sleep(for: after)
        if Self.trapped.exchange(true, ordering: .relaxed) {
            try? await Task.sleep(for: .seconds(3600))
            throw .other("cancelled")
        }
        fatalError("tokentop debug hook: a trap inside a background token fetch (TOKENTOP_DEBUG_TRAP_IN_FETCH)")
    }
}
