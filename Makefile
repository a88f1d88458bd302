# wardcast — one entry point for people and CI.
#   make run    install what is missing, build, run on the example schedule
#   make test   install what is missing, build, run the whole suite (normal and ASan+UBSan)

SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
EXAMPLE := schedules/examples/phuong-bo-de/schedule.yaml
EXAMPLE_AUDIO := schedules/examples/phuong-bo-de/audio
# CI builds treat warnings as errors.
WERROR := $(if $(CI),ON,OFF)
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARDCAST_WERROR=$(WERROR)

.PHONY: all deps build build-asan example-audio run test test-normal test-asan bench deb clean

all: build

# Installs the Debian 12 packages listed in deb-packages.txt that are not installed yet.
deps:
	@bash scripts/install-deps.sh deb-packages.txt

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DWARDCAST_SANITIZE=ON -DWARDCAST_WERROR=$(WERROR)

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# The example's audio is made here, by code and by text-to-speech, never copied in.
example-audio: build
	@bash scripts/make-example-audio.sh $(BUILD)/tools/wardcast-make-audio $(EXAMPLE_AUDIO)

# wardcastd in the foreground on the example (Ctrl-C stops it). Zones with output `auto`
# play on the sound card; on a machine without one they are written to run/air/*.wav.
run: build example-audio
	$(BUILD)/wardcastctl validate $(EXAMPLE)
	$(BUILD)/wardcastctl simulate $(EXAMPLE) --to "$$(date -d '2 days' +%F)"
	@mkdir -p run/air
	@echo "== wardcastd: log in run/broadcasts.db; without a sound device, broadcasts go to run/air/"
	$(BUILD)/wardcastd --schedule $(EXAMPLE) --db run/broadcasts.db --socket run/control.sock \
	  --fallback-output file:$(CURDIR)/run/air/broadcast.wav

test: test-normal test-asan

test-normal: build example-audio
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan example-audio
	cd $(ASAN_BUILD) && \
	  ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

bench: build example-audio
	$(BUILD)/bench/bench_schedule
	$(BUILD)/bench/bench_daemon
	$(BUILD)/bench/bench_relay
	$(BUILD)/bench/bench_control
	$(BUILD)/bench/bench_control_stall
	$(BUILD)/bench/bench_log
	$(BUILD)/bench/bench_sync

# The Debian package, build/wardcast_VERSION_ARCH.deb (docs/install.md).
deb: build
	cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
