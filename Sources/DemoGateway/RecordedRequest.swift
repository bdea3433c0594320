import Foundation

/// One HTTP header line exactly as it arrived: name spelling and value untouched.
public struct HeaderField: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var value: String
    public init(name: String, value: String) { self.name = name; self.value = value }
    public var description: String { "\(name): \(value)" }
}

/// A request the demo gateway received, kept raw so tests can assert exactly what a client sent
/// (header order and spelling, body bytes) rather than what a parser made of it.
public struct RecordedRequest: Sendable, Hashable {
    /// `GET`, `POST`, … as received.
    public var method: String
    /// The request target as received: path plus `?query` if any.
    public var uri: String
    /// Header lines in the order received, repeated names kept.
    public var headers: [HeaderField]
    /// The body bytes, unmodified (empty when there was none).
    public var body: [UInt8]
    /// When the request had been fully read.
    public var receivedAt: Date

    public init(method: String, uri: String, headers: [HeaderField], body: [UInt8], receivedAt: Date) {
        self.method = method; self.uri = uri; self.headers = headers; self.body = body; self.receivedAt = receivedAt
    }

    /// The path part of `uri` (before `?`), still percent-encoded.
    public var path: String {
        if let q = uri.firstIndex(of: "?") { return String(uri[..<q]) }
        return uri
    }

    /// The raw query string (after `?`), or nil when the URI has none.
    public var query: String? {
        guard let q = uri.firstIndex(of: "?") else { return nil }
        return String(uri[uri.index(after: q)...])
    }

    /// The first value of a header, matched case-insensitively (HTTP names are case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Every value of a header, in order, matched case-insensitively.
    public func headers(named name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    /// The body as UTF-8 text (invalid sequences repaired), for messages and simple assertions.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The body decoded as a form, in order; nil when it is not valid form encoding.
    public var formFields: [(name: String, value: String)]? {
        Form.decode(bodyText)?.map { (name: $0.0, value: $0.1) }
    }

    /// The first value of a form field of the body.
    public func formValue(_ name: String) -> String? {
        formFields?.first { $0.name == name }?.value
    }
}
