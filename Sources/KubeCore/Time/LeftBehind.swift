import Foundation

/// `work`'s value, or `nil` when `limit` of `clock`'s time passes first, or when the caller is
/// cancelled (then `work` is cancelled too). Past that point `work` is not awaited: a task that
/// ignores cancellation is left behind instead of holding its caller forever (a task group, or
/// `await work.value`, would wait for it).
public func firstResult<T: Sendable>(of work: Task<T, Never>, within limit: Duration, clock: any KubeClock) async -> T? {
    let (outcomes, sink) = AsyncStream.makeStream(of: T?.self)
    let waiting = Task { sink.yield(await work.value) }
    let timer = Task {
        do { try await clock.sleep(for: limit) } catch { return }
        sink.yield(nil)
    }
    let value = await withTaskCancellationHandler {
        var iterator = outcomes.makeAsyncIterator()
        return await iterator.next() ?? nil
    } onCancel: {
        work.cancel()
        sink.yield(nil)
    }
    waiting.cancel()
    timer.cancel()
    sink.finish()
    return value
}
