import Foundation
import KubeCore
import Testing

@testable import N8sServices

@Suite("Batch window")
struct BatchWindowTests {
    let clock = ManualClock()
    let a = ObjectKey(namespace: "default", name: "a")
    let b = ObjectKey(namespace: "default", name: "b")
    let c = ObjectKey(namespace: "default", name: "c")

    func window() -> BatchWindow { BatchWindow(timeout: .seconds(60), idle: .seconds(10)) }

    @Test("opens at the first candidate and closes after 10 s without a new one")
    func idle() {
        var w = window()
        #expect(!w.isOpen)
        #expect(w.deadline == nil)
        w.update(candidates: [a], now: clock.now)
        let opened = clock.now
        #expect(w.isOpen)
        clock.advance(by: .seconds(9))
        w.update(candidates: [a], now: clock.now)  // no new candidate: the idle timer keeps running
        #expect(!w.isDue(at: clock.now))
        #expect(w.remaining(at: clock.now) == .seconds(1))
        clock.advance(by: .seconds(1))
        #expect(w.isDue(at: clock.now))
        #expect(w.deadline == opened.addingTimeInterval(10))
    }

    @Test("each new candidate restarts the idle timer, but the window closes 60 s after it opened")
    func timeout() {
        var w = window()
        w.update(candidates: [a], now: clock.now)
        var members: Set<ObjectKey> = [a]
        for i in 0..<7 {
            clock.advance(by: .seconds(9))
            members.insert(ObjectKey(namespace: "default", name: "p\(i)"))
            w.update(candidates: members, now: clock.now)
            if i < 6 { #expect(!w.isDue(at: clock.now), "due after \(9 * (i + 1)) s") }
        }
        // 63 s after opening, although the last candidate came 0 s ago.
        #expect(w.isDue(at: clock.now))
        #expect(w.members.count == 8)
    }

    @Test("a pod that stops being a candidate leaves the batch; an empty batch closes the window")
    func leaving() {
        var w = window()
        w.update(candidates: [a, b], now: clock.now)
        clock.advance(by: .seconds(5))
        w.update(candidates: [b], now: clock.now)
        #expect(w.members == [b])
        #expect(w.deadline == clock.now.addingTimeInterval(5), "leaving does not restart the idle timer")
        w.update(candidates: [], now: clock.now)
        #expect(!w.isOpen)
        clock.advance(by: .seconds(30))
        w.update(candidates: [c], now: clock.now)
        #expect(w.deadline == clock.now.addingTimeInterval(10), "a new window opens at the next candidate")
    }

    @Test("closing resets the window")
    func close() {
        var w = window()
        w.update(candidates: [a], now: clock.now)
        w.close()
        #expect(!w.isOpen && w.members.isEmpty && w.deadline == nil)
    }
}
