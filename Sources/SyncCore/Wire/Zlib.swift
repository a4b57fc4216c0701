import CZlib

/// zlib compression with hard limits: inflating stops, with an error, as soon as the output
/// would pass `limit`, so a small "bomb" cannot fill memory.
package enum Zlib {
    package enum Failure: Error, Hashable {
        /// The output would exceed the limit.
        case tooLarge(limit: Int)
        /// The input is not a valid zlib stream (or is cut short).
        case corrupt(String)
        /// The stream's Adler-32 does not match what it inflates to.
        case checksum
        /// The stream was made with a preset dictionary the reader does not hold.
        case unknownDictionary(UInt32)
    }

    /// `dictionary`: a preset dictionary (zlib's FDICT), the same bytes the reader passes to
    /// `decompress`; strings it holds cost a back-reference instead of their bytes.
    package static func compress(_ input: [UInt8], level: Int32 = 6, dictionary: [UInt8] = []) -> [UInt8] {
        var stream = z_stream()
        guard tre_deflateInit2(&stream, level, 15) == Z_OK else { preconditionFailure("deflateInit2 failed") }
        defer { deflateEnd(&stream) }
        if !dictionary.isEmpty {
            let status = dictionary.withUnsafeBufferPointer {
                deflateSetDictionary(&stream, $0.baseAddress, UInt32($0.count))
            }
            precondition(status == Z_OK, "deflateSetDictionary failed")
        }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))))
        let produced = input.withUnsafeBufferPointer { source -> Int in
            output.withUnsafeMutableBufferPointer { target -> Int in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "deflate into a deflateBound buffer must finish")
                return target.count - Int(stream.avail_out)
            }
        }
        output.removeLast(output.count - produced)
        return output
    }

    /// `dictionary`: the bytes of the preset dictionary the stream names by its Adler-32, if the
    /// reader holds it. `stopAtEnd`: bytes after the end of the stream are ignored instead of
    /// refused (for tests that inflate whatever they find in captured traffic).
    package static func decompress(
        _ input: [UInt8], limit: Int, dictionary: (UInt32) -> [UInt8]? = { _ in nil }, stopAtEnd: Bool = false
    ) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard tre_inflateInit2(&stream, 15) == Z_OK else { throw .corrupt("inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var status: Int32 = Z_OK
        var missing: UInt32?
        let result: Failure? = input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while status != Z_STREAM_END {
                let produced = chunk.withUnsafeMutableBufferPointer { target -> Int in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    if status == Z_NEED_DICT {
                        // zlib leaves the id of the dictionary the stream names in `adler`.
                        let id = UInt32(truncatingIfNeeded: stream.adler)
                        guard let bytes = dictionary(id), !bytes.isEmpty else {
                            missing = id
                            return 0
                        }
                        status = bytes.withUnsafeBufferPointer {
                            inflateSetDictionary(&stream, $0.baseAddress, UInt32($0.count))
                        }
                        if status == Z_OK { status = inflate(&stream, Z_NO_FLUSH) }
                    }
                    return target.count - Int(stream.avail_out)
                }
                if let missing { return .unknownDictionary(missing) }
                guard status == Z_OK || status == Z_STREAM_END else {
                    let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    if message == "incorrect data check" { return .checksum }
                    return .corrupt(status == Z_BUF_ERROR ? "the stream is cut short" : message)
                }
                if output.count + produced > limit { return .tooLarge(limit: limit) }
                output.append(contentsOf: chunk[0..<produced])
                if produced == 0 && stream.avail_in == 0 && status != Z_STREAM_END {
                    return .corrupt("the stream is cut short")
                }
            }
            if stream.avail_in != 0 && !stopAtEnd { return .corrupt("bytes after the end of the stream") }
            return nil
        }
        if let result { throw result }
        return output
    }
}
