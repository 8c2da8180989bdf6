/// The files of a FileDescriptorSet and the symbols each declares, for
/// server reflection.
///
/// Only the fields reflection needs are read (names, packages,
/// dependencies, messages, enums, services, methods, fields, extensions);
/// each file is kept as its original bytes, which is what reflection sends.
struct DescriptorIndex: Sendable {
    /// A FileDescriptorSet that cannot be read: what is wrong and where.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// One file: its name, its encoded FileDescriptorProto, what it imports.
    struct File: Sendable {
        var name: String
        var bytes: [UInt8]
        var dependencies: [String]
    }

    /// Every file, by name.
    private(set) var files: [String: File] = [:]
    /// The file declaring each fully-qualified symbol (no leading dot).
    private(set) var symbols: [String: String] = [:]
    /// Every fully-qualified service name, sorted.
    private(set) var services: [String] = []
    /// The message types, fully qualified.
    private(set) var messageTypes: Set<String> = []
    /// The extension numbers declared for each extended message type.
    private(set) var extensions: [String: [Int32: String]] = [:]

    /// Reads a serialized FileDescriptorSet.
    init(descriptorSet: [UInt8]) throws(Malformed) {
        var serviceNames: [String] = []
        for field in try ProtoFields.read(descriptorSet[...], "FileDescriptorSet") where field.number == 1 {
            let fileBytes = try field.bytes("FileDescriptorSet.file")
            var file = File(name: "", bytes: Array(fileBytes), dependencies: [])
            var package = ""
            let fields = try ProtoFields.read(fileBytes, "FileDescriptorProto")
            for f in fields {
                switch f.number {
                case 1: file.name = try f.string("FileDescriptorProto.name")
                case 2: package = try f.string("FileDescriptorProto.package")
                case 3: file.dependencies.append(try f.string("FileDescriptorProto.dependency"))
                default: break
                }
            }
            let scope = package.isEmpty ? "" : package + "."
            for f in fields {
                switch f.number {
                case 4: try addMessage(f.bytes("message_type"), scope: scope, file: file.name)
                case 5: try addEnum(f.bytes("enum_type"), scope: scope, file: file.name)
                case 6:
                    let service = try f.bytes("service")
                    var name = ""
                    var methods: [String] = []
                    for s in try ProtoFields.read(service, "ServiceDescriptorProto") {
                        if s.number == 1 { name = try s.string("ServiceDescriptorProto.name") }
                        if s.number == 2 {
                            for m in try ProtoFields.read(s.bytes("method"), "MethodDescriptorProto")
                            where m.number == 1 {
                                methods.append(try m.string("MethodDescriptorProto.name"))
                            }
                        }
                    }
                    symbols[scope + name] = file.name
                    for method in methods { symbols[scope + name + "." + method] = file.name }
                    serviceNames.append(scope + name)
                case 7: try addExtension(f.bytes("extension"), scope: scope, file: file.name)
                default: break
                }
            }
            files[file.name] = file
        }
        services = serviceNames.sorted()
    }

    private mutating func addMessage(_ bytes: ArraySlice<UInt8>, scope: String, file: String) throws(Malformed) {
        let fields = try ProtoFields.read(bytes, "DescriptorProto")
        var name = ""
        for f in fields where f.number == 1 { name = try f.string("DescriptorProto.name") }
        let full = scope + name
        symbols[full] = file
        messageTypes.insert(full)
        for f in fields {
            switch f.number {
            case 2:
                for g in try ProtoFields.read(f.bytes("field"), "FieldDescriptorProto") where g.number == 1 {
                    symbols[full + "." + (try g.string("FieldDescriptorProto.name"))] = file
                }
            case 3: try addMessage(f.bytes("nested_type"), scope: full + ".", file: file)
            case 4: try addEnum(f.bytes("enum_type"), scope: full + ".", file: file)
            case 6: try addExtension(f.bytes("extension"), scope: full + ".", file: file)
            default: break
            }
        }
    }

    private mutating func addEnum(_ bytes: ArraySlice<UInt8>, scope: String, file: String) throws(Malformed) {
        for f in try ProtoFields.read(bytes, "EnumDescriptorProto") {
            if f.number == 1 { symbols[scope + (try f.string("EnumDescriptorProto.name"))] = file }
            if f.number == 2 {
                // Enum values are scoped beside their enum, as in C++.
                for v in try ProtoFields.read(f.bytes("value"), "EnumValueDescriptorProto") where v.number == 1 {
                    symbols[scope + (try v.string("EnumValueDescriptorProto.name"))] = file
                }
            }
        }
    }

    private mutating func addExtension(_ bytes: ArraySlice<UInt8>, scope: String, file: String) throws(Malformed) {
        var name = ""
        var extendee = ""
        var number: Int32 = 0
        for f in try ProtoFields.read(bytes, "FieldDescriptorProto") {
            switch f.number {
            case 1: name = try f.string("FieldDescriptorProto.name")
            case 2: extendee = try f.string("FieldDescriptorProto.extendee")
            case 3: number = Int32(truncatingIfNeeded: f.varint)
            default: break
            }
        }
        symbols[scope + name] = file
        let type = extendee.hasPrefix(".") ? String(extendee.dropFirst()) : extendee
        extensions[type, default: [:]][number] = file
    }

    /// The file named `name` followed by everything it imports, directly or
    /// not, each once.
    func withDependencies(_ name: String) -> [File] {
        var seen: Set<String> = []
        var out: [File] = []
        var pending = [name]
        while let next = pending.popLast() {
            guard !seen.contains(next), let file = files[next] else { continue }
            seen.insert(next)
            out.append(file)
            pending.append(contentsOf: file.dependencies.reversed())
        }
        return out
    }
}

/// A protobuf field as read by ``ProtoFields``.
struct ProtoField {
    var number: UInt64
    var wireType: UInt8
    /// The value of a varint field.
    var varint: UInt64
    /// The body of a length-delimited field.
    var body: ArraySlice<UInt8>

    func bytes(_ what: String) throws(DescriptorIndex.Malformed) -> ArraySlice<UInt8> {
        guard wireType == 2 else { throw DescriptorIndex.Malformed(description: "\(what): not length-delimited") }
        return body
    }

    func string(_ what: String) throws(DescriptorIndex.Malformed) -> String {
        let body = try bytes(what)
        guard let text = String(validating: body, as: UTF8.self) else {
            throw DescriptorIndex.Malformed(description: "\(what): not valid UTF-8")
        }
        return text
    }
}

/// Splits protobuf bytes into fields, without knowing the message.
enum ProtoFields {
    static func read(_ bytes: ArraySlice<UInt8>, _ message: String) throws(DescriptorIndex.Malformed) -> [ProtoField] {
        var out: [ProtoField] = []
        var i = bytes.startIndex
        func varint() throws(DescriptorIndex.Malformed) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.endIndex, shift < 64 else {
                    throw DescriptorIndex.Malformed(description: "\(message): truncated or overlong varint")
                }
                let byte = bytes[i]
                i += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while i < bytes.endIndex {
            let tag = try varint()
            var field = ProtoField(number: tag >> 3, wireType: UInt8(tag & 7), varint: 0, body: [])
            switch field.wireType {
            case 0: field.varint = try varint()
            case 1, 5:
                let size = field.wireType == 1 ? 8 : 4
                guard bytes.endIndex - i >= size else {
                    throw DescriptorIndex.Malformed(description: "\(message): truncated fixed-size field")
                }
                i += size
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.endIndex - i) else {
                    throw DescriptorIndex.Malformed(
                        description: "\(message): field \(field.number) is longer than its message")
                }
                field.body = bytes[i..<(i + Int(length))]
                i += Int(length)
            default:
                throw DescriptorIndex.Malformed(description: "\(message): wire type \(field.wireType) is not supported")
            }
            out.append(field)
        }
        return out
    }
}

/// Decodes base64 (RFC 4648, with padding), skipping line breaks and spaces.
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for c in text.utf8 {
            let value: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="), UInt8(ascii: "\n"), UInt8(ascii: " "), UInt8(ascii: "\r"): continue
            default: return nil
            }
            accumulator = (accumulator << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        return out
    }
}
