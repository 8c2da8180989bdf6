internal import CProtobufC
import Synchronization

/// The checks protobuf-c does not make, run on a message it has unpacked
/// into an ``UnpackArena``: every string, at every depth, is valid UTF-8
/// without NUL, and every field it kept as unknown has a number protobuf
/// allows (1 to 536,870,911: protobuf-c takes 0 in a tag of more than one
/// byte).
///
/// protobuf-c copies a string's bytes and ends them with NUL without looking
/// at them, so one holding NUL would be cut short silently. The arena records
/// the size of every allocation, and protobuf-c allocates each string it
/// unpacks as its length on the wire plus one: the bytes before that NUL
/// are the string's bytes exactly, embedded NULs included.
///
/// It says only whether the message passes; ``WireScanner`` says why not.
/// Together with protobuf-c's own checks it refuses what the scanner refuses.
enum UnpackedCheck {
    static func passes(_ message: UnsafeRawPointer, _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) -> Bool {
        passes(message, CheckPlan.of(descriptor))
    }

    private static func passes(_ message: UnsafeRawPointer, _ plan: UnsafePointer<CheckPlan>) -> Bool {
        let base = message.assumingMemoryBound(to: ProtobufCMessage.self)
        if base.pointee.n_unknown_fields > 0, !unknownFieldsPass(base) { return false }
        // Plain strings and plain sub-messages (most fields) first, each in
        // a loop of its own; then repeated fields and members of oneofs.
        for string in plan.pointee.strings {
            guard
                stringPasses(
                    message.load(fromByteOffset: string.offset, as: UnsafeRawPointer?.self), string.defaultValue)
            else { return false }
        }
        for sub in plan.pointee.messages {
            if let value = message.load(fromByteOffset: sub.offset, as: UnsafeRawPointer?.self),
                !passes(value, sub.plan)
            {
                return false
            }
        }
        for entry in plan.pointee.others {
            // A member of a oneof holds a value only when the case says so.
            if entry.oneofCase != 0,
                message.load(fromByteOffset: entry.quantifierOffset, as: UInt32.self) != entry.oneofCase
            {
                continue
            }
            let member = message + entry.offset
            if entry.isRepeated {
                let count = message.load(fromByteOffset: entry.quantifierOffset, as: Int.self)
                guard count > 0, let array = member.load(as: UnsafeRawPointer?.self) else { continue }
                for i in 0..<count {
                    let element = array.load(
                        fromByteOffset: i &* MemoryLayout<UnsafeRawPointer>.stride, as: UnsafeRawPointer?.self)
                    guard passes(element, entry) else { return false }
                }
            } else {
                guard passes(member.load(as: UnsafeRawPointer?.self), entry) else { return false }
            }
        }
        return true
    }

    /// Whether every field protobuf-c kept as unknown has a number protobuf
    /// allows. Apart, and not inlined: unknown fields are rare, and the
    /// walk over the known ones stays small.
    @inline(never)
    private static func unknownFieldsPass(_ base: UnsafePointer<ProtobufCMessage>) -> Bool {
        guard let unknown = base.pointee.unknown_fields else { return true }
        for k in 0..<Int(base.pointee.n_unknown_fields) {
            guard (1...WireScanner.maxFieldNumber).contains(unknown[k].tag) else { return false }
        }
        return true
    }

    /// One string or sub-message value.
    @inline(__always)
    private static func passes(_ value: UnsafeRawPointer?, _ entry: CheckPlan.Entry) -> Bool {
        guard let value else { return true }
        if let sub = entry.message { return passes(value, sub) }
        return stringPasses(value, entry.defaultValue)
    }

    /// One string: valid UTF-8, and no NUL before the one protobuf-c added.
    @inline(__always)
    private static func stringPasses(_ value: UnsafeRawPointer?, _ defaultValue: UnsafeRawPointer?) -> Bool {
        // An unset string points at the field's default (protobuf-c's
        // shared empty string); every string that was on the wire is the arena's.
        guard let value, value != defaultValue else { return true }
        let length = UnpackArena.requestedSize(of: value) &- 1
        if length < 8 {
            // The arena's allocations are whole multiples of 16 bytes, so
            // one word can be read here, whatever follows the string.
            if isPlainASCII(value.loadUnaligned(as: UInt64.self), firstBytes: length) { return true }
        }
        return validateCString(UnsafeRawBufferPointer(start: value, count: length)) == nil
    }
}

/// The string and message fields of one message type, read from its
/// protobuf-c descriptor once: where ``UnpackedCheck`` looks.
///
/// Plans are built on first use and never freed (there is one per message
/// type of the contract), so they are plain memory that any thread may read.
struct CheckPlan {
    struct Entry {
        var offset: Int
        /// Where the count of a repeated field, or the case of a oneof, is.
        var quantifierOffset: Int
        /// The field's number when it is a member of a oneof, else 0.
        var oneofCase: UInt32
        var isRepeated: Bool
        /// The plan of a message field; nil for a string.
        var message: UnsafePointer<CheckPlan>?
        /// A string field's default (the pointer an unset field holds).
        var defaultValue: UnsafeRawPointer?
    }

    /// A string field that is neither repeated nor in a oneof.
    struct StringEntry {
        var offset: Int
        var defaultValue: UnsafeRawPointer?
    }

    /// A message field that is neither repeated nor in a oneof.
    struct MessageEntry {
        var offset: Int
        var plan: UnsafePointer<CheckPlan>
    }

    var strings: UnsafeBufferPointer<StringEntry>
    var messages: UnsafeBufferPointer<MessageEntry>
    /// Repeated fields and members of oneofs.
    var others: UnsafeBufferPointer<Entry>

    /// A published plan. Unchecked Sendable, safe: a plan is written in
    /// full, under ``plans``' lock, before its pointer leaves the lock, and
    /// never written or freed after; readers only read it.
    struct Published: @unchecked Sendable {
        let plan: UnsafePointer<CheckPlan>
    }

    /// The plans built so far, by descriptor address.
    private static let plans = Mutex<[UInt: Published]>([:])

    static func of(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) -> UnsafePointer<CheckPlan> {
        plans.withLock { plans in build(descriptor, &plans) }.plan
    }

    private static func build(
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, _ plans: inout [UInt: Published]
    ) -> Published {
        let key = UInt(bitPattern: descriptor)
        if let published = plans[key] { return published }
        let plan = UnsafeMutablePointer<CheckPlan>.allocate(capacity: 1)
        let none = CheckPlan(
            strings: UnsafeBufferPointer(start: nil, count: 0), messages: UnsafeBufferPointer(start: nil, count: 0),
            others: UnsafeBufferPointer(start: nil, count: 0))
        plan.initialize(to: none)
        // Recorded before its fields are, so that a message type that
        // contains itself gets the same plan.
        plans[key] = Published(plan: UnsafePointer(plan))
        var strings: [StringEntry] = []
        var messages: [MessageEntry] = []
        var others: [Entry] = []
        if let fields = descriptor.pointee.fields {
            for k in 0..<Int(descriptor.pointee.n_fields) {
                let field = fields[k]
                guard field.type == PROTOBUF_C_TYPE_STRING || field.type == PROTOBUF_C_TYPE_MESSAGE else { continue }
                let message =
                    field.type == PROTOBUF_C_TYPE_MESSAGE
                    ? build(field.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self), &plans).plan
                    : nil
                let inOneof = field.flags & PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue != 0
                let isRepeated = field.label == PROTOBUF_C_LABEL_REPEATED
                switch (message, inOneof || isRepeated) {
                case (nil, false):
                    strings.append(StringEntry(offset: Int(field.offset), defaultValue: field.default_value))
                case (let message?, false):
                    messages.append(MessageEntry(offset: Int(field.offset), plan: message))
                default:
                    others.append(
                        Entry(
                            offset: Int(field.offset), quantifierOffset: Int(field.quantifier_offset),
                            oneofCase: inOneof ? field.id : 0, isRepeated: isRepeated, message: message,
                            defaultValue: field.default_value))
                }
            }
        }
        plan.pointee.strings = permanent(strings)
        plan.pointee.messages = permanent(messages)
        plan.pointee.others = permanent(others)
        return Published(plan: UnsafePointer(plan))
    }

    /// `elements` copied into memory that is never freed.
    private static func permanent<T>(_ elements: [T]) -> UnsafeBufferPointer<T> {
        let storage = UnsafeMutableBufferPointer<T>.allocate(capacity: elements.count)
        _ = storage.initialize(from: elements)
        return UnsafeBufferPointer(storage)
    }
}
