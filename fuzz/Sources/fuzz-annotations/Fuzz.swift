import N8sFuzzing

/// libFuzzer entry point: `annotations` (see `FuzzTarget.annotations`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.annotations.run(UnsafeBufferPointer(start: start, count: count))
    return 0
}
