import N8sFuzzing

/// libFuzzer entry point: `merge-patch` (see `FuzzTarget.mergePatch`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.mergePatch.run(UnsafeBufferPointer(start: start, count: count))
    return 0
}
