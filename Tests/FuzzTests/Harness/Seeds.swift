/// Built-in starting points for the mutators: small configs that exercise every part of the
/// loader (both namespaces, martian groups, templates, fragments, durations, hosts) and token
/// responses of every shape the parser knows. Callers may add more (the hostile corpus).
public enum Seeds {
    public static let configs: [String] = [
        #"""
        {
          "version": 3,
          "name": "seed gateway",
          "host": ["http://127.0.0.1:8080"],
          "timeout": "3s",
          "endpoints": [
            {
              "endpoint": "/users/{id}",
              "method": "get",
              "backend": [
                {
                  "url_pattern": "/api/users/{id}",
                  "host": ["https://users.internal:8443", "users2.internal"],
                  "extra_config": {
                    "auth/client-credentials": {
                      "client_id": "users-client",
                      "client_secret": "users-secret",
                      "token_url": "https://idp.example/oauth/token",
                      "scopes": "read,write",
                      "endpoint_params": {"audience": ["https://api"], "client_secret": ["users-secret"]}
                    },
                    "modifier/martian": {
                      "fifo.Group": {
                        "scope": ["request", "response"],
                        "aggregateErrors": true,
                        "modifiers": [
                          {"header.Modifier": {"scope": ["request"], "name": "X-Api-Key", "value": "k"}},
                          {"header.Modifier": {"scope": ["response"], "name": "X-Out", "value": "o"}},
                          {"body.Modifier": {"scope": ["request"], "body": "e30="}}
                        ]
                      }
                    }
                  }
                }
              ]
            },
            {
              "endpoint": "/legacy",
              "timeout": 1500000000,
              "backend": [
                {
                  "url_pattern": "/old",
                  "sd": "dns",
                  "host": ["_svc._tcp.service.consul"],
                  "extra_config": {
                    "github.com/devopsfaith/krakend-oauth2-clientcredentials": {
                      "client_id": "legacy", "client_secret": "s", "token_url": "http://idp/token", "is_disabled": false
                    },
                    "github.com/devopsfaith/krakend-martian": {"header.Modifier": {"name": "X-A", "value": "b"}}
                  }
                },
                {"url_pattern": "/public", "method": "POST", "disable_host_sanitize": true, "host": ["weird host"]}
              ]
            }
          ],
          "extra_config": {"allow_insecure_connections": true}
        }
        """#,
        #"""
        [
          {"endpoint": "/frag", "backend": [{"url_pattern": "/x", "host": "http://h:80",
            "extra_config": {"auth/client-credentials": {"is_disabled": true}}}]},
          {"endpoint": "/frag2", "@comment": "two", "backend": [{"url_pattern": "/y"}]}
        ]
        """#,
        #"""
        {"endpoint": "/one", "method": "PUT", "backend": [{"url_pattern": "/one", "extra_config": {
          "auth/client-credentials": {"client_id": "{{ env \"TT_FUZZ_ID\" }}", "client_secret": "{{env "TT_FUZZ_SECRET"}}",
          "token_url": "http://idp/t", "scopes": ""}}}]}
        """#,
        #"""
        {
          "$schema": "https://www.krakend.io/schema/krakend.json",
          "version": 2,
          "host": "http://root:9000",
          "extra_config": {"auth/client-credentials": {"client_id": "misplaced"}},
          "endpoints": [
            {"endpoint": "/a", "timeout": "1m30s", "extra_config": {"auth/client-credentials": {}},
             "backend": [{"url_pattern": "/a", "extra_config": {
               "auth/client-credentials": {"client_id": "a", "client_secret": "b", "token_url": "c", "scope": "x",
                 "endpoint_params": {"scope": ["x"]}},
               "github.com/devopsfaith/krakend-oauth2-clientcredentials": {"client_id": "old"},
               "modifier/martian": {"fifo.Group": {"modifiers": [{"fifo.Group": {"scope": ["response"],
                 "modifiers": [{"header.Modifier": {"name": "X-Deep", "value": "1"}}]}}]}}
             }}]},
            {"endpoint": "/b", "method": "delete", "backend": [{"url_pattern": "/b", "host": [" HTTP://x ", "a:8"]}]}
          ]
        }
        """#,
        #"""
        {"version": 1, "name": "v1", "timeout": "10µs", "host": ["127.0.0.1:80"],
         "endpoints": [{"endpoint": "/t/{{.x}}", "backend": [{"url_pattern": "/body", "extra_config": {
           "modifier/martian": {"header.Modifier": {"name": "Authorization", "value": "Basic dXNlcjpwYXNz"}}}}]}]}
        """#,
    ]

    /// Token endpoint answers (bodies), JSON and form-encoded, good and bad.
    public static let tokenBodies: [String] = [
        #"{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiZXhwIjo0MTAyNDQ0ODAwLCJhdWQiOlsiYSIsImIiXX0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU","token_type":"Bearer","expires_in":3600,"scope":"read write"}"#,
        #"{"access_token":"opaque-token-value-1234567890","token_type":"bearer","expires_in":"3600"}"#,
        #"{"access_token":"t","expires_in":-5}"#,
        #"{"access_token":"t","expires_in":59.5}"#,
        #"{"access_token":"t","expires_in":1e3}"#,
        #"{"access_token":"t","expires_in":99999999999999999999999}"#,
        #"{"access_token":"t","expires_in":null,"token_type":"mac"}"#,
        #"{"access_token":123}"#,
        #"{"token_type":"Bearer","expires_in":60}"#,
        #"{"error":"invalid_client","error_description":"Client authentication failed","error_uri":"https://x"}"#,
        #"{"error":"","access_token":"t"}"#,
        #"{"error":"invalid_scope","access_token":"t","expires_in":10}"#,
        #"["access_token","t"]"#,
        #""just a string""#,
        "access_token=form-token&token_type=bearer&expires_in=3600&scope=a+b",
        "access_token=t%zz&expires_in=1",
        "error=invalid_request&error_description=bad%20thing",
        "<html><body><h1>500 Internal Server Error</h1></body></html>",
        "",
        #"{"access_token":"t","expires_in":"-0","extra":{"nested":[1,2,{"a":null}]}}"#,
    ]

    public static let contentTypes: [String?] = [
        "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=UTF-8", "text/plain", "text/plain;charset=us-ascii", "text/html",
        "", ";", " ; ; ", "application/jwt", nil, "\u{0}", "application/json;;;;", "tëxt/plain",
    ]

    public static let statuses: [Int] = [200, 200, 200, 201, 204, 299, 300, 302, 400, 401, 403, 404, 429, 500, 502, 503, 0, 1, 999, -1, 100]

    /// KrakenD keys, so structure-aware mutations produce inputs the reader actually looks at.
    public static let keys: [String] = [
        "version", "name", "host", "timeout", "endpoints", "endpoint", "method", "backend", "url_pattern",
        "extra_config", "auth/client-credentials", "github.com/devopsfaith/krakend-oauth2-clientcredentials",
        "client_id", "client_secret", "token_url", "scopes", "scope", "endpoint_params", "is_disabled",
        "modifier/martian", "github.com/devopsfaith/krakend-martian", "fifo.Group", "header.Modifier", "modifiers",
        "value", "sd", "disable_host_sanitize", "allow_insecure_connections", "@comment", "audience", "body.Modifier",
        "", "\u{0}", "é", "key with \"quotes\" and \\ backslash",
    ]

    /// Strings that reach interesting branches: hosts, durations, templates, scopes.
    public static let strings: [String] = [
        "", " ", "http://a/b", "HTTP://x", "a:8", "a:80", "https://[::1]:443", "http://h:1234567", " http://x ", "dns",
        "dns-shared", "static", "other", "3s", "1500ms", "1h30m", "-2s", "0", ".5s", "1.s", "5", "9223372036854775807ns",
        "9223372036854775808ns", "µs", "1µs", "1μs", "1d", "{{ env \"TT_FUZZ_ID\" }}", "{{ .x }}", "{{", "}}", "request",
        "response", "GET", "post", "a,b,,c", "\u{FFFD}", "\u{0}", "\n", "日本語", "🙂", "\u{202E}rtl",
        String(repeating: "x", count: 300),
    ]

    public static let numbers: [String] = [
        "0", "-0", "1", "2", "3", "4", "3.0", "2.5", "-1", "1e308", "1e999", "-1e999", "1e-400", "9007199254740993",
        "123456789012345678901234567890", "0.000001", "1E2", "-9.2e18", "9.3e18",
    ]
}
