import CFuzzer
import Foundation
import N8sFuzzing

// libFuzzer over `FuzzTarget.admissionReview`: `fuzz-quantity [libFuzzer flags] [corpus folders]`.
//
// The input callback is exported under libFuzzer's name, and `main` also hands it to libFuzzer's
// driver: SwiftPM renames a debug executable's entry point and links libFuzzer's own `main` too, so
// whichever `main` the linker keeps runs the same fuzzer.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.admissionReview.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in testOneInput(data, size) })
