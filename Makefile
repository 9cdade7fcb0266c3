# Storefleet: `make run` and `make test` do all set-up themselves on a fresh machine.
SHELL := /bin/bash
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export NEXT_TELEMETRY_DISABLED := 1

.PHONY: run test build api clean

## run: the whole platform on localhost (API http://127.0.0.1:8080) with embedded defaults
run:
	@scripts/run.sh

## test: everything CI runs
test:
	@scripts/test.sh

build:
	dotnet build Storefleet.slnx

## api: the API alone, on SQLite
api:
	ASPNETCORE_ENVIRONMENT=Development dotnet run --project src/Storefleet

clean:
	rm -rf .data .run TestResults
	find . -name bin -o -name obj -prune -type d | grep -v node_modules | xargs rm -rf
