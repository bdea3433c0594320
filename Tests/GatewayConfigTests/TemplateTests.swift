import Testing
@testable import GatewayConfig

@Suite("Templates")
struct TemplateTests {
    static let envConfig = """
    {
      "version": 3,
      "endpoints": [{
        "endpoint": "/e",
        "backend": [{
          "host": ["http://h:8080"], "url_pattern": "/",
          "extra_config": {"auth/client-credentials": {
            "client_id": "{{ env "CLIENT_ID" }}", "client_secret": "{{env "CLIENT_SECRET"}}",
            "token_url": "{{  env  "TOKEN_URL"  }}", "scopes": 7
          }}
        }]
      }]
    }
    """

    @Test func envTemplatesAreRenderedFromTheEnvironment() throws {
        let text = Self.envConfig.replacingOccurrences(of: "\"scopes\": 7", with: "\"scopes\": \"a,b\"")
        let config = try #require(loadConfig(text, environment: [
            "CLIENT_ID": "my id", "CLIENT_SECRET": "s3cr:t/+&", "TOKEN_URL": "https://idp.example/token",
        ]))
        let credentials = try #require(config.routes.first?.credentials)
        #expect(credentials.clientID == "my id")
        #expect(credentials.clientSecret == "s3cr:t/+&")
        #expect(credentials.tokenURL == "https://idp.example/token")
        #expect(credentials.scopes == "a,b")
    }

    /// After rendering, locations still point into the file as written, not the rendered text.
    @Test func locationsAfterRenderingPointIntoTheOriginal() throws {
        let error = try #require(loadFailure(Self.envConfig, environment: [
            "CLIENT_ID": "a much longer client id than the template", "CLIENT_SECRET": "x", "TOKEN_URL": "https://t",
        ]))
        let diagnostic = try #require(error.errors.first)
        #expect(diagnostic.message == "expected string, found number")
        #expect(diagnostic.path == #"endpoints[0].backend[0].extra_config["auth/client-credentials"].scopes"#)
        #expect(diagnostic.location == position(of: "7", in: Self.envConfig))
        #expect(diagnostic.location == loc(9, 60))
    }

    @Test func missingVariablesAreErrorsNamingTheVariable() throws {
        let error = try #require(loadFailure(Self.envConfig, environment: ["CLIENT_ID": "x"]))
        #expect(error.errors.count == 2)
        #expect(error.errors.map(\.message) == [
            "environment variable CLIENT_SECRET is not set (needed by {{ env \"CLIENT_SECRET\" }})",
            "environment variable TOKEN_URL is not set (needed by {{ env \"TOKEN_URL\" }})",
        ])
        #expect(error.errors[0].location == position(of: "{{env", in: Self.envConfig))
        #expect(error.errors[1].location == loc(9, 23))
    }

    @Test(arguments: [
        #"{{ include "endpoints.tmpl" }}"#,
        #"{{ range .settings.hosts }}"#,
        #"{{ .service.host }}"#,
        #"{{ marshal .settings }}"#,
        #"{{- env "X" -}}"#,
        #"{{ env "X" | quote }}"#,
    ])
    func goTemplatesAreRecognised(action: String) throws {
        let text = """
        {
          "version": 3,
          "name": "{{ env "NAME" }}",
          "endpoints": [ \(action) ]
        }
        """
        let error = try #require(loadFailure(text, file: "krakend.tmpl", environment: ["NAME": "gw"]))
        #expect(error.diagnostics.count == 1)
        let diagnostic = try #require(error.errors.first)
        #expect(diagnostic.message == "krakend.tmpl is a Go template (flexible configuration); render it first, e.g. with "
                + "`FC_ENABLE=1 FC_OUT=rendered.json krakend check -c krakend.tmpl`, and load the rendered file")
        #expect(diagnostic.location == loc(4, 18))
    }

    @Test func unclosedActionIsATemplateToo() throws {
        let error = try #require(loadFailure("{\"version\": 3, \"name\": \"{{ env \"X\" \"}"))
        #expect(error.errors.first?.message.contains("is a Go template") == true)
        #expect(error.errors.first?.location == loc(1, 25))
    }
}
