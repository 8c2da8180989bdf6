import InterviewsModel
public import InterviewsRepository
import Testing

/// Makes a fresh, empty backend for one check.
public typealias RepositoryFactory = @Sendable () async throws -> any InterviewRepository

/// The behaviours of the repository contract, one test suite each.
public enum ConformanceBehaviour: String, Sendable, CaseIterable {
    /// Create, get, update, delete, stats, scan, remote_id uniqueness.
    case crud
    /// Another tenant's records are NOT_FOUND and never listed or counted.
    case tenancy
    /// Every invalid input is INVALID_ARGUMENT with its exact message.
    case validation
    /// Revisions grow by one; a stale expected revision is FAILED_PRECONDITION.
    case revisions
    /// Creates with a request id are idempotent.
    case idempotency
    /// Upserts by remote_id report per-item outcomes.
    case upsert
    /// Every list filter, alone and combined.
    case filters
    /// Every order and direction, ties broken by id.
    case orders
    /// Page-number paging and total_size.
    case pageNumbers
    /// Page tokens: walks both ways, binding, tampering.
    case pageTokens
    /// Token walks under concurrent writers.
    case concurrentWalks
    /// The change feed and its waiters.
    case changes
    /// remote_data, custom_fields, analysis and read masks.
    case fieldSelection
    /// Seeded random operations against a naive reference.
    case model
}

/// One behaviour every ``InterviewRepository`` backend must show, runnable
/// against any backend. A backend's test target passes ``all`` (or
/// ``checks(for:)``) as parameterized test arguments and calls ``run(on:)``
/// with its factory; failures are recorded with `#expect`:
///
/// ```swift
/// @Test("passes the conformance check", arguments: ConformanceCheck.all)
/// func conforms(_ check: ConformanceCheck) async throws {
///     try await check.run { InMemoryInterviewRepository() }
/// }
/// ```
public struct ConformanceCheck: Sendable, CustomTestStringConvertible {
    /// The behaviour the check belongs to.
    public let behaviour: ConformanceBehaviour
    /// What the check shows, as a sentence.
    public let name: String
    let body: @Sendable (any InterviewRepository) async throws -> Void

    init(
        _ behaviour: ConformanceBehaviour, _ name: String,
        _ body: @escaping @Sendable (any InterviewRepository) async throws -> Void
    ) {
        self.behaviour = behaviour
        self.name = name
        self.body = body
    }

    /// The check's name, shown as the test case.
    public var testDescription: String { name }

    /// Runs the check against a fresh backend from `factory`.
    public func run(on factory: RepositoryFactory) async throws {
        try await body(try await factory())
    }

    /// Every check of `behaviour`.
    public static func checks(for behaviour: ConformanceBehaviour) -> [ConformanceCheck] {
        all.filter { $0.behaviour == behaviour }
    }

    /// Every check of every behaviour.
    public static var all: [ConformanceCheck] {
        crudChecks + tenancyChecks + validationChecks + revisionChecks + idempotencyChecks + upsertChecks
            + filterChecks + orderChecks + pageNumberChecks + pageTokenChecks + concurrentWalkChecks + changeChecks
            + fieldSelectionChecks + modelChecks
    }
}

/// Expects `body` to fail with `code` and, when given, exactly `message`.
func expectFailure<T>(
    _ code: StatusCode, _ message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected \(code) but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as any StatusError {
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        if let message { #expect(error.message == message, sourceLocation: sourceLocation) }
    } catch {
        Issue.record("expected \(code) but got \(error)", sourceLocation: sourceLocation)
    }
}

/// Expects `body` to fail with INVALID_ARGUMENT whose message starts with `field: `.
func expectInvalid<T>(
    field: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected INVALID_ARGUMENT for \(field) but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as any StatusError {
        #expect(error.code == .invalidArgument, sourceLocation: sourceLocation)
        #expect(error.message.hasPrefix("\(field): "), "\(error.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected INVALID_ARGUMENT but got \(error)", sourceLocation: sourceLocation)
    }
}

/// The tenants the checks act for.
enum Tenants {
    static let acme = Tenant("acme")
    static let globex = Tenant("globex")
}
