/// The small HTTP seam between the token protocol and the network. TokenKit stays free of any
/// networking import; `HTTPTransport` implements this with AsyncHTTPClient, tests may fake it for units.

/// One HTTP header, order preserved (order matters for byte-exact assertions).
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) { self.name = name; self.value = value }
}

extension Array where Element == HTTPHeader {
    /// First value of a header, case-insensitive.
    public func first(named name: String) -> String? {
        let lower = name.lowercased()
        return first(where: { $0.name.lowercased() == lower })?.value
    }
}

public struct HTTPRequestData: Sendable, Hashable {
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public init(method: String, url: String, headers: [HTTPHeader], body: [UInt8]) {
        self.method = method; self.url = url; self.headers = headers; self.body = body
    }
    public var bodyString: String { String(decoding: body, as: UTF8.self) }
}

public struct HTTPResponseData: Sendable, Hashable {
    public var status: Int
    public var reason: String
    public var headers: [HTTPHeader]
    /// At most the transport's body limit; `truncated` says whether more was sent.
    public var body: [UInt8]
    public var truncated: Bool
    /// Seconds from sending the request to receiving the response head (status line and headers),
    /// when the transport can tell; nil otherwise. Used by test calls to show time to first byte.
    public var timeToFirstByte: Double?
    public init(status: Int, reason: String, headers: [HTTPHeader], body: [UInt8], truncated: Bool = false,
                timeToFirstByte: Double? = nil) {
        self.status = status; self.reason = reason; self.headers = headers; self.body = body; self.truncated = truncated
        self.timeToFirstByte = timeToFirstByte
    }
}

/// Why a request produced no HTTP response, in words an operator understands.
public enum TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    case connectionRefused(String)
    case connectTimeout(String)
    case deadlineExceeded(seconds: Double)
    case hostNotFound(String)
    case tlsFailure(String)
    case invalidURL(String)
    case other(String)

    public var description: String {
        switch self {
        case .connectionRefused(let host): return "connection refused by \(host)"
        case .connectTimeout(let host): return "could not connect to \(host) (connect timeout)"
        case .deadlineExceeded(let s): return "no answer within \(formatSeconds(s)) (timeout)"
        case .hostNotFound(let host): return "host not found: \(host)"
        case .tlsFailure(let why): return "TLS failure: \(why)"
        case .invalidURL(let url): return "invalid URL: \(url)"
        case .other(let why): return why
        }
    }
}

func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
}

/// Sends one request and returns the response with its body read up to `bodyLimit` bytes.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequestData, timeout: Duration, bodyLimit: Int) async throws(TransportError) -> HTTPResponseData
}
