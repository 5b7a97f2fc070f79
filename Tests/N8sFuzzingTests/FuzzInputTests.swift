import Foundation
import N8sFuzzing
import Testing

/// Replays every committed fuzz input (seeds, and inputs that once crashed a parser) through the
/// same entry points the libFuzzer executables in `fuzz/` call. A trap here is a parser bug.
@Suite("Fuzz inputs")
struct FuzzInputTests {
    static let inputs = Bundle.module.resourceURL!.appendingPathComponent("Inputs")

    static func files(of target: FuzzTarget) throws -> [URL] {
        let folder = inputs.appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test("every committed input runs through its parser without a trap", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) throws {
        let files = try Self.files(of: target)
        #expect(!files.isEmpty, "fuzz target \(target.rawValue) has no committed inputs")
        var accepted = 0
        for file in files where target.run(try Data(contentsOf: file)) { accepted += 1 }
        // Seeds that the parser rejects outright would start the fuzzer at the first error check.
        #expect(accepted > 0, "no input of \(target.rawValue) gets past the parser's first rejection")
    }

    @Test("the checks reject what they should not accept")
    func rejections() {
        #expect(!FuzzTarget.quantity.run(Array("1.5.5Gi".utf8)))
        #expect(!FuzzTarget.labelSelector.run(Array("a in (b".utf8)))
        #expect(!FuzzTarget.jsonPatch.run(Array(#"[{}, [{"op":"remove","path":"/nope"}]]"#.utf8)))
        #expect(!FuzzTarget.scenario.run(Array("nodes: 3".utf8)))
        #expect(!FuzzTarget.podResources.run([0xFF, 0xFF, 0xFF]))
    }
}
