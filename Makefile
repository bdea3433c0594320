# `make demo` opens the dashboard on the built-in demo gateway; `make test` runs every test.
.PHONY: deps build demo test screenshots clean
deps:
	@bash scripts/install-deps.sh
build: deps
	swift build
demo: deps
	swift run tokentop demo
test: deps
	swift build --build-tests
	swift test --skip-build
screenshots: deps
	bash scripts/screenshots.sh
clean:
	rm -rf .build
