import N8sFuzzing

/// libFuzzer entry point: `field-selector` (see `FuzzTarget.fieldSelector`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.fieldSelector.run(UnsafeBufferPointer(start: start, count: count))
    return 0
}
