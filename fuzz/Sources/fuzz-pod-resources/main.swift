import CFuzzer
import Foundation
import N8sFuzzing

// libFuzzer over `FuzzTarget.podResources`: `fuzz-pod-resources [libFuzzer flags] [corpus folders]`.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    FuzzTarget.podResources.run(UnsafeBufferPointer(start: data, count: size))
    return 0
})
