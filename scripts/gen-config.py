#!/usr/bin/env python3
"""Generates a large KrakenD v3 config for tokentop's benchmarks.

    scripts/gen-config.py N [--token-url URL] [--shared-fraction F] [-o FILE]

N backends in total, spread over endpoints of one or two backends (every fifth endpoint
aggregates two, as real gateways do). By default:

  * half the backends are protected by client credentials (`auth/client-credentials`);
  * a quarter of all backends are on *shared* credentials: they come in pairs whose
    credential blocks are identical (so tokentop holds one token per pair), the other
    protected quarter has unique credentials. Distinct tokens = N/4 + N/8 = 3N/8.
  * a few realistic extras: scopes on every third credential, `endpoint_params` on every
    tenth, martian header modifiers on every seventh backend, two hosts on every eleventh.

Credential number k (0-based) is `client_id` "bench-client-k" / `client_secret`
"bench-secret-k": `tokentop demo --serve --clients M` registers exactly these, so a generated
config can point `token_url` at a separate demo token server (--token-url
http://127.0.0.1:PORT/oauth/token). `--shared-fraction 0` gives every protected backend its own
credential (the token-throughput benchmark wants N distinct tokens: use it with --protected 1).

The output is pretty-printed with two-space indents like a hand-written config, and is
deterministic for the same arguments. It prints, on stderr, the number of backends, protected
backends and distinct credentials.
"""
import argparse
import json
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("backends", type=int, help="number of backends in total")
    ap.add_argument("--token-url", default="http://127.0.0.1:9/oauth/token",
                    help="token_url of every credential (default: a closed port)")
    ap.add_argument("--protected", type=float, default=0.5,
                    help="fraction of backends with client credentials (default 0.5)")
    ap.add_argument("--shared-fraction", type=float, default=0.25,
                    help="fraction of all backends on credentials shared in pairs (default 0.25)")
    ap.add_argument("--two-backend-every", type=int, default=5,
                    help="every Nth endpoint has two backends (0: never; default 5)")
    ap.add_argument("-o", "--output", help="output file (default stdout)")
    args = ap.parse_args()

    n = args.backends
    if n < 1:
        ap.error("N must be at least 1")
    protected = round(n * args.protected)
    shared = min(protected, round(n * args.shared_fraction))
    shared -= shared % 2  # pairs
    unique = protected - shared

    # Which backends are protected: every other one (for the default half), spread evenly.
    def is_protected(i: int) -> bool:
        return (i * protected) // n != ((i + 1) * protected) // n

    creds_made = 0
    protected_seen = 0

    def credential_for(k: int) -> int:
        """Credential number of the k-th protected backend."""
        if k < unique:
            return k
        return unique + (k - unique) // 2

    def credential_block(c: int) -> dict:
        block = {
            "client_id": f"bench-client-{c}",
            "client_secret": f"bench-secret-{c}",
            "token_url": args.token_url,
        }
        if c % 3 == 0:
            block["scopes"] = "orders:read,orders:write"
        if c % 10 == 0:
            block["endpoint_params"] = {"audience": [f"https://api{c % 7}.example.com"]}
        return block

    endpoints = []
    i = 0
    e = 0
    while i < n:
        count = 2 if args.two_backend_every and e % args.two_backend_every == args.two_backend_every - 1 and i + 1 < n else 1
        backends = []
        for _ in range(count):
            svc = f"svc{i % 97}"
            backend = {
                "url_pattern": f"/v{1 + i % 3}/{svc}/items/{{id}}/r{i}",
                "host": [f"https://{svc}.internal.example.com"],
                "method": "GET" if i % 4 else "POST",
                "encoding": "json",
            }
            if i % 11 == 0:
                backend["host"].append(f"https://{svc}-b.internal.example.com:8443")
            extra = {}
            if is_protected(i):
                c = credential_for(protected_seen)
                protected_seen += 1
                creds_made = max(creds_made, c + 1)
                extra["auth/client-credentials"] = credential_block(c)
            if i % 7 == 0:
                extra["modifier/martian"] = {
                    "fifo.Group": {
                        "scope": ["request"],
                        "aggregateErrors": True,
                        "modifiers": [
                            {"header.Modifier": {"scope": ["request"], "name": "X-Tenant", "value": f"tenant-{i % 13}"}},
                            {"header.Modifier": {"scope": ["request"], "name": "X-Bench", "value": "yes"}},
                        ],
                    }
                }
            if extra:
                backend["extra_config"] = extra
            backends.append(backend)
            i += 1
        endpoints.append({
            "endpoint": f"/api/e{e}/{{id}}",
            "method": "GET",
            "output_encoding": "json",
            "timeout": "3s",
            "backend": backends,
        })
        e += 1

    doc = {
        "$schema": "https://www.krakend.io/schema/v2.9/krakend.json",
        "version": 3,
        "name": f"bench gateway ({n} backends)",
        "port": 8080,
        "timeout": "3000ms",
        "cache_ttl": "300s",
        "host": ["https://default.internal.example.com"],
        "extra_config": {"telemetry/logging": {"level": "WARNING", "prefix": "[KRAKEND]", "stdout": True}},
        "endpoints": endpoints,
    }
    text = json.dumps(doc, indent=2) + "\n"
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    print(f"gen-config: {n} backends, {len(endpoints)} endpoints, {protected_seen} protected, "
          f"{creds_made} distinct credentials, {len(text)} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
