# ipc — mail between AI agents and scripts on one machine.
#   make run      build ipc and run the leader daemon on the default spool
#   make test     install what the tests need, cross-vet, then run every test with -race -cover
#                 (the process tests then run ipc itself with the race detector)
#   make cross    build and vet every package, tests included, for each target in CROSS
#   make test-windows  the tests that must hold on Windows, run under Wine (installed if missing)
#   make bench    every figure of ipc beside the bare operation: a table, the same as JSON in BENCH_JSON
#                 and as Markdown in BENCH_MD
#                 (BENCH_SCALE=full, or make bench-full: the 1,000,000-message mailboxes)
#   make bench-go the packages' go test benchmarks (hot paths, each against its bare operation)
#   make fuzz     every fuzz target for FUZZTIME each (default 30s), from its corpus in testdata/fuzz
#   make soak     the kill -9, leader-takeover and power-loss loops SOAK times longer (default 10)
#   make lint     gofmt, go vet, staticcheck (staticcheck for each target in CROSS too)
#   make install  put ipc in $(go env GOPATH)/bin
#   make dist     release archives for every target in DIST, in dist/

GO        ?= go
BIN       := bin/ipc
# The Debian packages the tests read and deliver mail with, tmux and npm
# for the tests that drive Claude Code and Gemini CLI (which they install
# from npm, pinned, into the user's cache directory), the browser the
# web inbox's tests drive, the NATS server the bridge's tests run, and
# jq, which the README's tour pipes into.
TEST_DEBS := mblaze notmuch safecat maildrop tmux npm chromium nats-server mutt dovecot-imapd python3 jq
TEST_CMDS := mlist notmuch safecat maildrop tmux npm chromium nats-server mutt dovecot python3 jq

.PHONY: run build test test-deps cross test-windows dist bench bench-full bench-go fuzz soak lint install clean

# The other systems ipc is built for; make cross builds and vets each.
CROSS := darwin/arm64 darwin/amd64 windows/amd64 freebsd/amd64 linux/arm64

# Without cgo ipc is linked statically: a dynamically linked one spends
# about 0.7 ms of every start (every ipc send, every hook) in the loader.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/ipc

run: build
	@./$(BIN) status
	@echo "Starting the leader (Ctrl-C stops it); in other terminals try:"
	@echo "  ./$(BIN) --as bob watch      and      ./$(BIN) --as alice send bob hi"
	./$(BIN) daemon

# Installs the mail tools the tests use, once, when any is missing.
test-deps:
	@missing=""; for c in $(TEST_CMDS); do command -v $$c >/dev/null 2>&1 || missing=yes; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		echo "installing $(TEST_DEBS)"; \
		{ $$SUDO apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(TEST_DEBS) >/dev/null; } || \
		echo "warning: could not install $(TEST_DEBS); the tests that need them say so and skip"; \
	fi

cross:
	@for t in $(CROSS); do \
		echo "go vet ($$t)"; \
		GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./... || exit 1; \
	done

# Windows test binaries run under Wine: each PACKAGE:TESTS of WINTESTS
# (TESTS comma-separated, each the whole name of a top-level test). Wine 8
# lacks bcryptprimitives.dll, which Go's runtime loads, so a stand-in built
# with mingw goes into the Wine prefix's system32.
WINE     ?= /usr/lib/wine/wine64
WINDIR   := bin/windows-test
WINTESTS := internal/inplace:TestCheck,TestOpenForWriting leader:TestPortableSuite \
	cli:TestInterruptEndsWaitAndWatch,TestClosedOutputEndsWatch internal/platform:TestExposed,TestDirRefuses,TestDirOperations,TestLockThroughHeldDir doctor:TestSpoolAccessList
test-windows:
	@if [ ! -x $(WINE) ] || ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		echo "installing wine64 gcc-mingw-w64-x86-64"; \
		{ $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wine64 gcc-mingw-w64-x86-64 >/dev/null; } || \
		{ echo "warning: cannot install Wine: the Windows tests did not run"; [ "$$IPC_TEST_STRICT" != 1 ]; exit; }; \
	fi
	@mkdir -p $(WINDIR)
	x86_64-w64-mingw32-gcc -shared -O2 -o $(WINDIR)/bcryptprimitives.dll internal/platform/testdata/bcryptprimitives.c
	@export WINEPREFIX=$(CURDIR)/$(WINDIR)/prefix WINEDEBUG=-all; \
	[ -d $$WINEPREFIX/drive_c/windows/system32 ] || $(WINE) wineboot -i >/dev/null 2>&1 || true; \
	cp $(WINDIR)/bcryptprimitives.dll $$WINEPREFIX/drive_c/windows/system32/ && \
	for t in $(WINTESTS); do \
		p=$${t%%:*}; run="^($$(echo $${t#*:} | tr , '|'))\$$"; \
		GOOS=windows GOARCH=amd64 $(GO) test -c -o $(WINDIR)/$$(basename $$p).test.exe ./$$p || exit 1; \
		echo "wine: $$p $$run"; \
		$(WINE) $(WINDIR)/$$(basename $$p).test.exe -test.run "$$run" -test.v >$(WINDIR)/$$(basename $$p).log 2>&1; rc=$$?; \
		grep -E '^(--- |PASS|FAIL|ok|\s+\S+_test.go)' $(WINDIR)/$$(basename $$p).log; \
		[ $$rc = 0 ] || exit 1; \
	done

test: test-deps cross test-windows
	$(GO) test -race -cover -shuffle=on -timeout 30m ./...

# make bench runs ipc-bench (internal/bench): ipc and the minimal Go
# program doing the same file work (ipc-bare), turn about, in one run.
# The default scale fits in about three minutes on two cores; full builds
# mailboxes of 1,000,000 messages and takes longer.
BENCH_SCALE ?= default
BENCH_JSON  ?= bin/bench.json
BENCH_MD    ?= bin/bench.md
bench: build
	$(GO) build -o bin/ipc-bare ./internal/bench/cmd/ipc-bare
	$(GO) build -o bin/ipc-bench ./internal/bench/cmd/ipc-bench
	./bin/ipc-bench -ipc $(BIN) -bare bin/ipc-bare -scale $(BENCH_SCALE) -json $(BENCH_JSON) -markdown $(BENCH_MD) -rev "$(VERSION)"

bench-full:
	$(MAKE) bench BENCH_SCALE=full BENCH_JSON=bin/bench-full.json BENCH_MD=bin/bench-full.md

bench-go: build
	$(GO) test -run '^$$' -bench . -benchtime 200x -timeout 30m ./...

# package:target for every fuzz target.
FUZZ_TARGETS := spool:FuzzParseMessage spool:FuzzRoundTrip spool:FuzzUniqueName spool:FuzzForward \
	spool:FuzzData cli:FuzzHookInput phrase:FuzzPhrase
FUZZTIME ?= 30s

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$pkg; \
	done

SOAK ?= 10

soak:
	IPC_SOAK=$(SOAK) $(GO) test -race -count 1 -timeout 4h -v \
		-run 'TestPowerLoss|TestCrashSafety|TestLeaderTakeover' ./spool ./cmd/ipc

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./...
	@for t in $(CROSS); do \
		echo "staticcheck ($$t)"; \
		GOOS=$${t%/*} GOARCH=$${t#*/} PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./... || exit 1; \
	done

# Release archives: dist/ipc-VERSION-OS-ARCH.tar.gz (.zip for Windows),
# each holding the static binary, README.md and LICENSE if there is one.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
DIST    := linux/amd64 linux/arm64 darwin/arm64 darwin/amd64 freebsd/amd64 windows/amd64
dist:
	@rm -rf dist && mkdir -p dist
	@for t in $(DIST); do \
		os=$${t%/*}; arch=$${t#*/}; name=ipc-$(VERSION)-$$os-$$arch; exe=""; \
		[ $$os = windows ] && exe=.exe; \
		mkdir -p dist/$$name && \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w" -o dist/$$name/ipc$$exe ./cmd/ipc || exit 1; \
		cp README.md dist/$$name/; [ -f LICENSE ] && cp LICENSE dist/$$name/; \
		if [ $$os = windows ]; then $(GO) run build/zip.go dist/$$name.zip dist/$$name || exit 1; \
		else tar -C dist -czf dist/$$name.tar.gz $$name; fi; \
		rm -rf dist/$$name; echo "dist/$$name"; \
	done

install:
	CGO_ENABLED=0 $(GO) install ./cmd/ipc

clean:
	rm -rf bin
