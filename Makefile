# Sohoa — make run starts the whole system locally; make test checks everything.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
ADDR      ?= 127.0.0.1:8080
DATA      ?= ./.sohoa
FUZZTIME  ?= 4s
BUILD     := build
FUNCTIONS := $(filter-out internal,$(notdir $(wildcard functions/*)))
# Tests that decode many scanned pages or drive the whole stack: run without -race.
HEAVY     := ./pkg/domain/dossier/ ./pkg/format/scan/... ./pkg/format/pdfdoor/ ./pkg/format/separator/ ./pkg/format/ocr/... ./pkg/domain/extract/ ./pkg/aws/lambdaocr/ ./infra/local/ ./infra/ocr/
# Debian packages: the tools that check what we produce (pdfsig, certutil, qpdf,
# pdftotext), the browser the page tests drive, and the OCR engine with its
# Vietnamese and orientation models plus the OCR-B font for generated MRZs.
DEB_TOOLS := poppler-utils libnss3-tools qpdf zip jq curl chromium tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd fonts-ocr-b
# axe-core, injected into every page by the browser tests (infra/local), from npm.
AXE_VERSION := 4.14.1
AXE       := $(BUILD)/axe/node_modules/axe-core/axe.min.js

# Real-world PDFs from public test suites: the corpus tests (verification,
# signing, ingestion) run over this folder when one is checked out beside the
# repository, and skip when there is none.
SOHOA_PDF_CORPUS ?= $(firstword $(wildcard $(abspath ..)/*/corpus/pdf))
export SOHOA_PDF_CORPUS

.PHONY: help run test unit heavy integration fuzz lint bench build clean tools deploy deploy-env deploy-rehearsal deploy-tools axe ops

help: ## list the targets (with this checkout's settings)
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}' | \
		sed -e 's|$$(ADDR)|$(ADDR)|g' -e 's|$$(DATA)|$(DATA)|g' -e 's|$$(BUILD)|$(BUILD)|g' -e 's|$$(FUZZTIME)|$(FUZZTIME)|g'
	@echo "  settings: ADDR=$(ADDR) DATA=$(DATA) FUZZTIME=$(FUZZTIME) SOHOA_PDF_CORPUS=$(or $(SOHOA_PDF_CORPUS),(none))"

run: ## run the whole system locally on http://$(ADDR) (data in $(DATA)); Ctrl-C stops it
	@mkdir -p $(BUILD)
	$(GO) build -o $(BUILD)/sohoa-local ./infra/local
	@# exec: the stack is make's own child, so Ctrl-C and a SIGTERM to make
	@# (which make passes to its children) reach it and it drains cleanly.
	exec $(BUILD)/sohoa-local -dev -addr $(ADDR) -data $(DATA)

tools: ## install the Debian packages the tests need (checkers, Chromium, Tesseract)
	@if ! dpkg -s $(DEB_TOOLS) >/dev/null 2>&1; then \
		echo "installing $(DEB_TOOLS)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEB_TOOLS) >/dev/null; \
	fi

axe: $(AXE) ## install axe-core (npm) for the browser tests' accessibility checks

$(AXE):
	npm install --no-audit --no-fund --prefix $(BUILD)/axe axe-core@$(AXE_VERSION)

test: tools lint axe deploy-rehearsal ## everything: the deploy rehearsal, servers up, unit + integration tests with -race, the heavy pipeline pass, fuzzing
	@echo "== starting the AWS-compatible servers (installed once, cached in ~/.cache/sohoa)"
	@eval "$$(infra/servers/up.sh)"; \
	trap 'infra/servers/down.sh >/dev/null 2>&1 || true' EXIT; \
	echo "== go test -race ./... (unit, conformance suites on real servers, Lambda binaries, template)"; \
	$(GO) test -race -count=1 -timeout 30m ./...; \
	echo "== heavy pass without -race (page decoding, end to end over HTTP, pdfsig)"; \
	SOHOA_HEAVY=1 $(GO) test -count=1 -timeout 40m $(HEAVY); \
	echo "== the OCR on AWS: the OCR function's program under the Runtime API harness with the local Tesseract"; \
	SOHOA_HEAVY=1 $(GO) test -count=1 -timeout 15m -run OCR ./infra/lambdatest/
	$(MAKE) fuzz

unit: ## go test -race ./... without servers (integration tests skip themselves)
	$(GO) test -race -count=1 ./...

heavy: axe ## the scan-heavy and end-to-end tests, without -race (pure-Go JPEG decoding is ~15x slower under it)
	SOHOA_HEAVY=1 $(GO) test -count=1 -timeout 40m $(HEAVY)

integration: ## only the tests that need the real servers
	@eval "$$(infra/servers/up.sh)"; \
	trap 'infra/servers/down.sh >/dev/null 2>&1 || true' EXIT; \
	$(GO) test -race -count=1 ./pkg/aws/... ./pkg/domain/notify/... ./functions/... ./infra/lambdatest/

fuzz: ## run every fuzz target for $(FUZZTIME)
	@for pkg in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
		for f in $$(grep -h '^func Fuzz' $$pkg/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
			echo "fuzz $$pkg $$f"; \
			$(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; \
		done; \
	done

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

bench: export SOHOA_HEAVY = 1
bench: ## whole-pipeline, scan, signing and Lambda figures on this machine (docs/performance.md)
	$(GO) test -run='^$$' -bench=Pipeline -benchtime=3x ./infra/local/
	$(GO) test -run='^$$' -bench=IngestProcess -benchtime=3x ./infra/local/
	SOHOA_BATCH_N=1000 $(GO) test -count=1 -run='^TestBatchSigning$$' -v ./infra/local/ | grep -E 'signed|^ok|FAIL'
	$(GO) test -run='^$$' -bench='Split(Isolated)?100Pages' -benchtime=3x ./pkg/format/scan/
	$(GO) test -run='^$$' -bench='G4Decode300dpi' -benchtime=100x ./pkg/format/scan/
	$(GO) test -run='^$$' -bench='SplitG4300Pages' -benchtime=1x ./pkg/format/scan/
	$(GO) test -run='^$$' -bench=OCRPage -benchtime=5x ./pkg/format/ocr/
	$(GO) test -run='^$$' -bench=OCRDossierToValidated -benchtime=1x ./infra/local/
	$(GO) test -run='^$$' -bench=. -benchtime=2s ./pkg/domain/signing/ ./pkg/format/pades/
	$(GO) test -run='^$$' -bench=. -benchtime=20x ./pkg/format/pdfdoor/
	@eval "$$(infra/servers/up.sh)"; \
	trap 'infra/servers/down.sh >/dev/null 2>&1 || true' EXIT; \
	$(GO) test -run='^$$' -bench=ColdStart -benchtime=10x ./infra/lambdatest/; \
	SOHOA_BATCH_N=1000 $(GO) test -count=1 -timeout 40m -run='^TestSignerSurvivesSIGKILL$$' -v ./infra/lambdatest/ | grep -E 'APPROVED|killed|signed|checked|^ok|FAIL'; \
	$(GO) test -run='TestZipSize' -v ./infra/lambdatest/ | grep -E 'zip|ok|FAIL' || true

build: ## one Lambda zip per function in $(BUILD)/ (arm64, provided.al2023)
	@mkdir -p $(BUILD)
	@for f in $(FUNCTIONS); do \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o $(BUILD)/$$f/bootstrap ./functions/$$f; \
		(cd $(BUILD)/$$f && rm -f ../$$f.zip && zip -q -X ../$$f.zip bootstrap); \
		echo "$(BUILD)/$$f.zip $$(stat -c %s $(BUILD)/$$f.zip) bytes"; \
	done

# The deployment: infra/env/$(ENV).json holds the stack's parameters;
# infra/deploy/sohoa_deploy.py packages the zips, builds and pushes the OCR
# image (Docker), deploys and prints the outputs. docs/aws.md walks through it.
ENV ?=
DEPLOY := python3 infra/deploy/sohoa_deploy.py

deploy: deploy-env build ## deploy to AWS with infra/env/$(ENV).json: make deploy ENV=dev|staging|prod (docs/aws.md)
	@command -v aws >/dev/null || { echo "make deploy: the AWS CLI (aws) is not installed" >&2; exit 1; }
	@command -v docker >/dev/null || echo "make deploy: no docker here: the OCR image is not built (an existing stack keeps its image; otherwise set OCR_IMAGE_URI)"
	$(DEPLOY) deploy $(ENV)

deploy-env:
	@if [ -z "$(ENV)" ] || [ ! -f infra/env/$(ENV).json ]; then \
		echo "make deploy: say which environment: ENV=$$(ls infra/env | sed 's/\.json$$//' | paste -sd'|')" >&2; exit 2; fi

# moto, the AWS CLI, cfn-lint, aws-sam-translator and boto3 come with these
# machines' image (pip), not from a registry reachable here: when one is
# missing the rehearsal fails and says so, under CI=true as anywhere else.
deploy-tools:
	@missing=""; \
	for t in moto_server aws cfn-lint python3; do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	python3 -c 'import samtranslator, boto3' 2>/dev/null || missing="$$missing aws-sam-translator/boto3(python3)"; \
	if [ -n "$$missing" ]; then \
		echo "deploy rehearsal: missing$$missing. Install them with pip (moto[server] awscli cfn-lint aws-sam-translator boto3); the rehearsal is not skipped$${CI:+ under CI=true either}." >&2; \
		exit 1; \
	fi

deploy-rehearsal: deploy-tools build ## cfn-lint, then package and deploy every infra/env/*.json into moto, check each resource, delete, check what is kept
	cfn-lint -t infra/template.yaml --include-checks I
	$(DEPLOY) rehearse

clean: ## remove build output and local data
	rm -rf $(BUILD) $(DATA)

ops: ## operators' tool: make ops ARGS="redrive ingest" | "rerun-ingest <dossier>" | "rerun-notify <dossier>" (local $(DATA); -aws for AWS)
	$(GO) run ./infra/ops -data $(DATA) $(ARGS)
