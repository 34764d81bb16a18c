extension GGUFFile {
    /// Computes each tensor's byte range and checks it: a whole number of blocks per row, aligned, inside the
    /// file, and not overlapping any other tensor.
    static func locate(_ infos: [(name: String, type: GGMLType, shape: [Int], offset: UInt64)], dataOffset: Int,
                       alignment: Int, fileSize: Int, path: String) throws(GGUFError) -> [GGUFTensorInfo] {
        var out: [GGUFTensorInfo] = []
        out.reserveCapacity(infos.count)
        for info in infos {
            let elements = info.shape.reduce(1, *)
            guard let bytes = info.type.byteCount(elementCount: elements, rowLength: info.shape[0]) else {
                throw .rowNotBlockAligned(path: path, tensor: info.name, type: info.type.name,
                                          rowLength: info.shape[0], blockSize: info.type.traits?.blockSize ?? 1)
            }
            guard info.offset % UInt64(alignment) == 0 else {
                throw .misalignedTensor(path: path, tensor: info.name, offset: info.offset, alignment: alignment)
            }
            let start = UInt64(dataOffset).addingReportingOverflow(info.offset)
            let end = start.partialValue.addingReportingOverflow(UInt64(bytes))
            guard !start.overflow, !end.overflow, end.partialValue <= UInt64(fileSize) else {
                throw .tensorOutOfBounds(path: path, tensor: info.name, start: start.overflow ? .max : start.partialValue,
                                         bytes: bytes, fileSize: fileSize)
            }
            out.append(GGUFTensorInfo(name: info.name, type: info.type, shape: info.shape, offset: info.offset,
                                      fileOffset: Int(start.partialValue), byteCount: bytes))
        }
        let byStart = out.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byStart, byStart.dropFirst()) where a.byteCount > 0 {
            let aEnd = a.offset + UInt64(a.byteCount)
            if aEnd > b.offset {
                throw .overlappingTensors(path: path, first: a.name, second: b.name, firstEnd: aEnd, secondStart: b.offset)
            }
        }
        return out
    }
}
