import DemoGateway
import Foundation
import GatewayConfig
import AsyncHTTPTransport
import Testing
import TokenKit

/// The token-endpoint fault matrix at the TokenManager level, over real loopback HTTP(S): for each
/// fault, the failure text, the backoff, a healthy token on another server that stays untouched,
/// and recovery by itself (the manager's own `run()` loop, real clock) once the fault is fixed.
/// docs/faults.md lists the same matrix with what the dashboard shows.
@Suite struct TokenFaultTests {
    enum Case: String, CaseIterable, Sendable {
        case refused, hang, trickle, closeWithoutAnswer, html500, error200, invalidJSON, hugeBody, redirectLoop, notHTTP
    }

    /// The exact row text for each fault (`TokenFailure.summary`), given server B's port.
    static func expectedSummary(_ c: Case, port: Int) -> (String) -> Bool {
        switch c {
        case .refused: return { $0 == "connection refused by 127.0.0.1:\(port)" }
        case .hang: return { $0 == "no answer within 2 s (timeout)" }
        // On a busy machine even the head can miss the 2 s; CallFaultTests checks the body
        // deadline's own text with a longer one.
        case .trickle: return { ($0.hasPrefix("answer cut off by the 2 s timeout: 200 OK, ") && $0.contains("sends very slowly"))
                                || $0 == "no answer within 2 s (timeout)" }
        case .closeWithoutAnswer: return { $0 == "the server closed the connection without answering" }
        case .html500: return { $0 == "500 Internal Server Error" }
        case .error200: return { $0 == "200 invalid_scope: scope 'admin' is not allowed" }
        case .invalidJSON: return { $0 == "200 cannot parse json: invalid JSON" }
        case .hugeBody: return { $0 == "200 cannot parse json: invalid JSON (body cut at 1 MiB, as the gateway reads it)" }
        case .redirectLoop: return { $0.hasPrefix("redirect loop: ") }
        case .notHTTP: return { $0.hasPrefix("the answer is not HTTP") }
        }
    }

    static func fault(_ c: Case) -> Fault? {
        switch c {
        case .refused: return nil
        case .hang: return .hang
        case .trickle: return .trickle
        case .closeWithoutAnswer: return .closeWithoutAnswer
        case .html500: return .html500
        case .error200: return .error200
        case .invalidJSON: return .invalidJSON
        case .hugeBody: return .hugeBody
        case .redirectLoop: return .redirectLoop
        case .notHTTP: return .notHTTP
        }
    }

    @Test(arguments: Case.allCases)
    func faultShowsBacksOffSparesOthersAndRecovers(_ c: Case) async throws {
        // The slow faults end at the 2 s timeout (the thing under test); the others get 5 s, so a
        // busy machine does not turn them into timeouts (a fresh-clone run beside a release build
        // once got "no answer within 2 s" for a redirect loop, a non-HTTP answer and a huge body).
        let slow = c == .hang || c == .trickle
        try await withRig(timeout: slow ? .seconds(2) : .seconds(5)) { rig in
            let b = rig.faultyServer
            if let fault = Self.fault(c) { b.setFault(fault, path: FaultRig.tokenPath) } else { try await b.pause() }
            let recorder = BackoffRecorder()
            await recorder.start(rig.manager, entry: rig.faulty)
            let runner = Task { await rig.manager.run() }
            defer { runner.cancel() }

            // The healthy token, on the other server, is fetched at once, while a slow fault is
            // still in flight: one row never waits for another.
            try await waitUntil("the healthy token") { try await rig.manager.entry(rig.healthy).token != nil }
            if c == .hang || c == .trickle {
                let f = try await rig.manager.entry(rig.faulty)
                #expect(f.inFlight && f.attempts.isEmpty, "the healthy fetch waited for the faulty one")
            }

            // Three failures in a row, each with a longer wait before the next attempt.
            try await waitUntil("three failed attempts", timeout: 20) { await recorder.delays.count >= 3 }
            let failed = try await rig.manager.entry(rig.faulty)
            let summary = try #require(failed.lastFailure?.summary)
            #expect(Self.expectedSummary(c, port: b.port)(summary), "row text was: \(summary)")
            #expect(failed.state(at: Date(), policy: rig.manager.policy) == .failed || failed.inFlight)
            await expectBackoff(recorder)
            // Every failure said the same thing (trickle: up to how many bytes had arrived).
            let summaries = await recorder.summaries
            #expect(summaries.allSatisfy(Self.expectedSummary(c, port: b.port)), "\(summaries)")

            // The healthy token was never touched: one successful fetch, still valid.
            try await expectUntouched(rig)

            // Fix the fault: the next retry (at most 0.5 s away, plus one slow attempt) succeeds.
            if Self.fault(c) != nil { b.clearFaults() } else { try await b.resume() }
            try await waitUntil("recovery by itself", timeout: 10) {
                let s = try await rig.manager.entry(rig.faulty)
                return s.token != nil && s.lastFailure == nil
            }
            let recovered = try await rig.manager.entry(rig.faulty)
            #expect(recovered.state(at: Date()) == .valid)
            #expect(recovered.nextRetryAt == nil)
            #expect(recovered.consecutiveFailures == 0)
            await recorder.stop()
        }
    }

    /// 429 with Retry-After: the wait is the server's, not the (shorter) backoff; recovery after it.
    @Test func rateLimitedHonoursRetryAfter() async throws {
        try await withRig { rig in
            let b = rig.faultyServer
            b.setFault(.rateLimited(retryAfter: 2), path: FaultRig.tokenPath)
            let recorder = BackoffRecorder()
            await recorder.start(rig.manager, entry: rig.faulty)
            let runner = Task { await rig.manager.run() }
            defer { runner.cancel() }
            try await waitUntil("two rate-limited attempts", timeout: 15) { await recorder.delays.count >= 2 }
            let f = try #require(try await rig.manager.entry(rig.faulty).lastFailure)
            #expect(f.summary == "429 slow_down: Too many requests; retry after 2 seconds")
            #expect(f.retryAfter == "2")
            let delays = await recorder.delays
            #expect(delays.allSatisfy { $0 >= 1.95 }, "Retry-After not honoured: \(delays)")
            // Two attempts (Basic, then body) per fetch, and no more than one fetch per 2 s.
            #expect(b.tokenRequestCount(clientID: FaultRig.faultyClient) <= 2 * (delays.count + 1))
            try await expectUntouched(rig)
            b.clearFaults()
            try await waitUntil("recovery after Retry-After", timeout: 10) { try await rig.manager.entry(rig.faulty).token != nil }
            await recorder.stop()
        }
    }

    /// The server goes away while its token is valid, a refresh fails, and it comes back: the
    /// token is kept (the gateway would still use it), the failure shows, the retry succeeds.
    @Test func serverGoesAwayAndComesBack() async throws {
        try await withRig { rig in
            let b = rig.faultyServer
            let runner = Task { await rig.manager.run() }
            defer { runner.cancel() }
            try await waitUntil("both tokens") {
                let all = await rig.manager.snapshot()
                return all.allSatisfy { $0.token != nil }
            }
            let first = try #require(try await rig.manager.entry(rig.faulty).token)
            try await b.pause()
            await rig.manager.refresh(entry: rig.faulty)
            let during = try await rig.manager.entry(rig.faulty)
            // Refused, or — when the client's pooled keep-alive connection had not yet noticed the
            // server resetting it — reset or closed. Either way: the server is away.
            let away = ["connection refused by 127.0.0.1:\(b.port)", "the server closed the connection without answering",
                        "the server reset the connection (it went away or crashed, or an http:// URL for a TLS port?)"]
            #expect(away.contains(during.lastFailure?.summary ?? ""), "\(String(describing: during.lastFailure?.summary))")
            #expect(during.token == first)              // the old token is still there …
            #expect(during.state(at: Date()) == .valid)  // … and still usable
            #expect(during.nextRetryAt != nil)
            try await b.resume()
            try await waitUntil("a new token after the server came back") {
                let s = try await rig.manager.entry(rig.faulty)
                return s.lastFailure == nil && s.token != first
            }
            try await expectUntouched(rig)
        }
    }

    /// The server dies while a request is in flight: the fetch ends at once with a clear error,
    /// not at the deadline.
    @Test func serverDiesMidRequest() async throws {
        try await withRig(timeout: .seconds(5)) { rig in
            let b = rig.faultyServer
            b.setFault(.hang, path: FaultRig.tokenPath)
            let fetch = Task { await rig.manager.refresh(entry: rig.faulty) }
            try await waitUntil("the request to arrive") { b.tokenRequestCount(clientID: FaultRig.faultyClient) >= 1 }
            let t0 = ContinuousClock.now
            try await b.pause()
            let attempt = await fetch.value
            #expect(ContinuousClock.now - t0 < .seconds(4), "the fetch waited for its deadline")
            let summary = try #require(attempt?.failure?.summary)
            // Basic fails with the connection reset; the body-style retry finds the port closed.
            #expect(summary == "connection refused by 127.0.0.1:\(b.port)", "\(summary)")
            let first = attempt?.exchanges.first?.failure?.summary ?? ""
            #expect(first == "the server reset the connection (it went away or crashed, or an http:// URL for a TLS port?)"
                    || first == "the server closed the connection without answering", "\(first)")
        }
    }
}

/// The healthy entry of a rig made exactly one fetch, which worked, and is valid.
func expectUntouched(_ rig: FaultRig, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
    let healthy = try await rig.manager.entry(rig.healthy)
    #expect(healthy.attempts.count == 1 && healthy.attempts.first?.succeeded == true, "\(healthy.attempts)", sourceLocation: sourceLocation)
    #expect(healthy.lastFailure == nil, sourceLocation: sourceLocation)
    #expect(healthy.state(at: Date()) == .valid, sourceLocation: sourceLocation)
}

/// The first backoff steps are the policy's: 0.1, 0.2, 0.4 s (growing; the cap is 0.5 s), each
/// inside the range the recorder could bracket it in.
func expectBackoff(_ r: BackoffRecorder, sourceLocation: Testing.SourceLocation = #_sourceLocation) async {
    let lowers = await r.lowers, uppers = await r.delays
    #expect(uppers.count >= 3, sourceLocation: sourceLocation)
    for k in 0..<min(3, uppers.count) {
        let nominal = 0.1 * pow(2, Double(k))
        #expect(lowers[k] <= nominal + 0.01 && uppers[k] >= nominal - 0.01,
                "backoff step \(k) is not \(nominal) s: between \(lowers) and \(uppers)", sourceLocation: sourceLocation)
    }
    #expect(uppers.allSatisfy { $0 >= 0.09 }, "\(uppers)", sourceLocation: sourceLocation)
}

/// TLS: an untrusted certificate, `--ca-file`, `allow_insecure_connections`, and recovery when
/// the server gets a certificate the client trusts.
@Suite struct TLSFaultTests {
    @Test func untrustedCertificateSaysSoAndRecoversWhenTheServerIsFixed() async throws {
        // The client trusts the test CA; the server presents a self-signed certificate.
        try await withRig(faultyOptions: .init(tls: TLSFixture.selfSigned), caFile: TLSFixture.caFile) { rig in
            let b = rig.faultyServer
            #expect(b.baseURL.hasPrefix("https://"))
            let recorder = BackoffRecorder()
            await recorder.start(rig.manager, entry: rig.faulty)
            let runner = Task { await rig.manager.run() }
            defer { runner.cancel() }
            try await waitUntil("three failed attempts", timeout: 15) { await recorder.delays.count >= 3 }
            let f = try #require(try await rig.manager.entry(rig.faulty).lastFailure)
            #expect(f.summary == "TLS failure: certificate not trusted (self-signed, expired or from an unknown CA); to trust its CA use --ca-file PATH",
                    "\(f.summary)")
            #expect(f.transportError.map { if case .tlsFailure = $0 { true } else { false } } == true)
            await expectBackoff(recorder)
            try await expectUntouched(rig)

            // The operator installs a certificate from the trusted CA and restarts the server on
            // the same port: the token comes back by itself.
            try await b.pause()
            try await b.resume(tls: TLSFixture.trusted)
            try await waitUntil("recovery with a trusted certificate") {
                let s = try await rig.manager.entry(rig.faulty)
                return s.token != nil && s.lastFailure == nil
            }
            await recorder.stop()
        }
    }

    func fetchOnce(_ server: DemoGateway, caFile: String?, insecure: Bool) async throws -> Result<AccessToken, TokenFailure> {
        server.registerClient(id: FaultRig.faultyClient, secret: FaultRig.faultySecret, lifetime: 3600)
        let t = try AHCTransport(connectTimeout: .seconds(5), insecure: insecure, caFile: caFile)
        let r = await TokenFetcher(transport: t, timeout: .seconds(3)).fetch(FaultRig.credentials(for: server))
        await t.shutdown()
        return r.result
    }

    @Test func caFileTrustsTheTestCA() async throws {
        let server = try await DemoGateway.start(options: .init(tls: TLSFixture.trusted))
        defer { Task { try? await server.shutdown() } }
        // Without --ca-file the system roots do not know the test CA.
        guard case .failure(let f) = try await fetchOnce(server, caFile: nil, insecure: false) else {
            Issue.record("a certificate from the test CA was trusted without --ca-file"); return
        }
        #expect(f.summary.hasPrefix("TLS failure: certificate not trusted"))
        // With it, the fetch works.
        let ok = try await fetchOnce(server, caFile: TLSFixture.caFile, insecure: false)
        #expect((try? ok.get()) != nil, "\(ok)")
    }

    @Test func allowInsecureConnectionsSkipsVerification() async throws {
        let server = try await DemoGateway.start(options: .init(tls: TLSFixture.selfSigned))
        defer { Task { try? await server.shutdown() } }
        let r = try await fetchOnce(server, caFile: nil, insecure: true)
        #expect((try? r.get()) != nil, "\(r)")
    }

    @Test func plainHTTPClientOnATLSPortAndTheReverse() async throws {
        let tlsServer = try await DemoGateway.start(options: .init(tls: TLSFixture.trusted))
        let plainServer = try await DemoGateway.start()
        defer { Task { try? await tlsServer.shutdown(); try? await plainServer.shutdown() } }
        let t = try AHCTransport(connectTimeout: .seconds(5), caFile: TLSFixture.caFile)
        defer { Task { await t.shutdown() } }
        // https:// to a plain HTTP server.
        var c = FaultRig.credentials(for: plainServer)
        c.tokenURL = c.tokenURL.replacingOccurrences(of: "http://", with: "https://")
        let r1 = await TokenFetcher(transport: t, timeout: .seconds(3)).fetch(c)
        guard case .failure(let f1) = r1.result else { Issue.record("https to plain HTTP worked?"); return }
        #expect(f1.summary.hasPrefix("TLS failure: the server does not speak TLS"), "\(f1.summary)")
        // http:// to a TLS server.
        var c2 = FaultRig.credentials(for: tlsServer)
        c2.tokenURL = c2.tokenURL.replacingOccurrences(of: "https://", with: "http://")
        let r2 = await TokenFetcher(transport: t, timeout: .seconds(3)).fetch(c2)
        guard case .failure(let f2) = r2.result else { Issue.record("http to a TLS server worked?"); return }
        // The TLS server drops the plaintext: a close, or a reset when bytes were left unread.
        #expect(f2.summary.contains("closed the connection") || f2.summary.contains("reset the connection"), "\(f2.summary)")
    }
}
