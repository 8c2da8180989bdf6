import Glibc
import InterviewsModel
import InterviewsWire
import RPCCore
import RPCUnixSocket
import Testing

@Suite("Calls round-trip over a real socket", .timeLimit(.minutes(1)))
struct RoundTripTests {
    @Test("a unary call returns the handler's response")
    func unary() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let response: HealthResponse = try await client.unary(method: TestMethods.health, request: HealthRequest())
            #expect(response.status == .serving)
            let echo: Interview = try await client.unary(
                method: TestMethods.echo, request: GetInterviewRequest(companyID: "acme", id: "42"))
            #expect(echo.id == "42")
            #expect(echo.companyID == "acme")
            await client.close()
        }
    }

    @Test("a server stream delivers every message in order, then ends", arguments: [0, 1, 64, 65, 1000])
    func serverStream(count: Int) async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let ids = try await client.serverStream(
                method: TestMethods.stream, request: ListRequest(pageSize: UInt32(count)), responseType: Interview.self
            ) { stream in
                var ids: [String] = []
                for try await interview in stream { ids.append(interview.id) }
                return ids
            }
            #expect(ids == (0..<count).map { "\($0)" })
            await client.close()
        }
    }

    @Test("an unknown method is UNIMPLEMENTED and names the method")
    func unknownMethod() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let error = await #expect(throws: RPCError.self) {
                let _: HealthResponse = try await client.unary(method: "/nope.Nope/Missing", request: HealthRequest())
            }
            #expect(error?.code == .unimplemented)
            #expect(error?.message == "unknown method /nope.Nope/Missing")
            // The connection goes on: a call after the unknown one is answered.
            let answer: Interview = try await client.unary(
                method: TestMethods.echo, request: GetInterviewRequest(id: "after"))
            #expect(answer.id == "after")
        }
    }

    @Test("a handler's StatusError becomes the call's status")
    func statusError() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let error = await #expect(throws: RPCError.self) {
                let _: Interview = try await client.unary(
                    method: TestMethods.notFound, request: GetInterviewRequest(id: "x1"))
            }
            #expect(error == RPCError(.notFound, "interview x1 not found"))
        }
    }

    @Test("any other handler error is INTERNAL without details")
    func internalError() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let error = await #expect(throws: RPCError.self) {
                let _: HealthResponse = try await client.unary(method: TestMethods.crash, request: HealthRequest())
            }
            #expect(error == RPCError(.internalError, "internal error"))
        }
    }

    @Test("a status message that protobuf-c cannot carry still ends the call")
    func nulInStatus() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let error = await #expect(throws: RPCError.self) {
                let _: HealthResponse = try await client.unary(method: TestMethods.nulError, request: HealthRequest())
            }
            #expect(error == RPCError(.failedPrecondition, "bad\u{FFFD}byte"))
        }
    }

    @Test("the authorize hook rejects a call before the handler runs, or passes values to it")
    func authorize() async throws {
        let hook: RPCRouter.Authorize = { context in
            guard let value = context.metadataValue(for: "authorization"), value.hasPrefix("Bearer ") else {
                throw RPCError(.unauthenticated, "missing authorization metadata: expected \"Bearer <key>\"")
            }
            context.values[CallerKey.self] = String(value.dropFirst("Bearer ".count))
        }
        try await withTestServer(authorize: hook) { server in
            let client = try await server.connect()
            let error = await #expect(throws: RPCError.self) {
                let _: Interview = try await client.unary(method: TestMethods.whoAmI, request: HealthRequest())
            }
            #expect(error?.code == .unauthenticated)
            let me: Interview = try await client.unary(
                method: TestMethods.whoAmI, request: HealthRequest(),
                metadata: [
                    RPCMetadataEntry(key: "authorization", value: "Bearer k1"),
                    RPCMetadataEntry(key: "x-test", value: "hello"),
                ])
            #expect(me.companyID == "k1")
            #expect(me.title == "hello")
            #expect(me.id == "\(getuid())/\(getgid())/\(getpid())")
        }
    }
}
