import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs CPU-heavy work on a thread of its own at low priority, not on Swift concurrency's
/// cooperative pool (one thread per core): a fuzz run that holds a pool thread for seconds starves
/// the async tests running beside it.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread {
            #if canImport(Glibc)
            // Linux: the nice value of the calling thread only.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 15)
            #endif
            continuation.resume(returning: body())
        }
        thread.stackSize = 16 << 20
        thread.start()
    }
}
