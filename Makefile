# lstmchat: `make chat` to talk to the bundled model, `make test` to run the tests.
# Both install what is missing first (Debian packages through apt-get).

SWIFT      ?= swift
RELEASE    := -c release
BIN        := .build/release/lstmchat
DEB_PKGS   := libopenblas-dev libreadline-dev librsvg2-bin
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build test fuzz chat install uninstall install-check man completions man-deps model model-lm model-classify bench bench-quality bench-serve serve-test serve-deps interop pytorch-test clean

all: build

# Installs the Debian packages lstmchat links against, when any is missing.
deps:
	@dpkg -s $(DEB_PKGS) >/dev/null 2>&1 || { \
	  echo "Installing $(DEB_PKGS) ..."; \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y $(DEB_PKGS); }

build: deps
	$(SWIFT) build $(RELEASE)

# The whole test suite, built in release mode (debug LSTM arithmetic is very slow), then
# install-check on the program the suite built (INSTALL_BUILD empty: no `swift build`, which would
# compile everything again, because `swift test` adds an -enable-testing of its own).
test: deps
	$(SWIFT) test $(RELEASE) -Xswiftc -enable-testing
	$(MAKE) --no-print-directory install-check INSTALL_BUILD=

# A deeper search than the fuzz tests in `make test`: libFuzzer with AddressSanitizer (and Swift's
# bounds and overflow checks) on the checkpoint and data readers, FUZZ_SECONDS each. Inputs that
# reach new code are kept in .build-fuzz/corpus/; one that fails is written to .build-fuzz/crash-*
# and stops the run with its stack. CI (.ci/run) runs `make fuzz FUZZ_SECONDS=10`.
FUZZ_SECONDS ?= 300
FUZZ_BUILD   := LSTMCHAT_FUZZ=1 $(SWIFT) build $(RELEASE) --scratch-path .build-fuzz \
                -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
FUZZ_RUN     := cd .build-fuzz && SWIFT_BACKTRACE=enable=no
fuzz: deps
	$(FUZZ_BUILD) --product fuzz-checkpoint
	$(FUZZ_BUILD) --product fuzz-data
	mkdir -p .build-fuzz/corpus/checkpoint .build-fuzz/corpus/data
	$(FUZZ_RUN) release/fuzz-checkpoint -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 \
	  corpus/checkpoint ../Tests/LSTMChatTests/Fixtures/FuzzSeeds
	$(FUZZ_RUN) release/fuzz-data -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	  corpus/data ../datasets

chat: build
	$(BIN) chat

# `make install` (PREFIX=/usr/local, DESTDIR to stage a package): the program, its man page and
# bash, zsh and fish completions (all three written by its argument parser), and the bundled
# models in PREFIX/share/lstmchat/, where the installed program finds `--checkpoint default` and
# `kjv-lm` from any directory. `make uninstall` removes these files and nothing else.
PREFIX    ?= /usr/local
DESTDIR   ?=
ROOT       = $(DESTDIR)$(PREFIX)
MODELS    := default kjv-lm
INSTALL_BUILD := build
INSTALLED := bin/lstmchat share/man/man1/lstmchat.1 share/bash-completion/completions/lstmchat \
             share/zsh/site-functions/_lstmchat share/fish/vendor_completions.d/lstmchat.fish \
             $(MODELS:%=share/lstmchat/%/model.safetensors)
install: $(INSTALL_BUILD) man completions
	install -d $(ROOT)/bin $(ROOT)/share/man/man1 $(ROOT)/share/bash-completion/completions \
	  $(ROOT)/share/zsh/site-functions $(ROOT)/share/fish/vendor_completions.d $(MODELS:%=$(ROOT)/share/lstmchat/%)
	install -m 755 $(BIN) $(ROOT)/bin/lstmchat
	install -m 644 .build/man/lstmchat.1 $(ROOT)/share/man/man1/lstmchat.1
	install -m 644 .build/completions/lstmchat.bash $(ROOT)/share/bash-completion/completions/lstmchat
	install -m 644 .build/completions/lstmchat.zsh $(ROOT)/share/zsh/site-functions/_lstmchat
	install -m 644 .build/completions/lstmchat.fish $(ROOT)/share/fish/vendor_completions.d/lstmchat.fish
	for m in $(MODELS); do install -m 644 checkpoints/$$m/model.safetensors $(ROOT)/share/lstmchat/$$m/; done

# Only the folders that are lstmchat's own, and only when empty: other models put there stay.
uninstall:
	rm -f $(INSTALLED:%=$(ROOT)/%)
	rmdir $(MODELS:%=$(ROOT)/share/lstmchat/%) $(ROOT)/share/lstmchat 2>/dev/null || true

# The man page, by generate-manual: the tool behind swift-argument-parser's generate-manual plugin,
# run on the binary just built. Not the plugin itself, which builds the whole package again with
# `swift build`'s flags (after `make test`, every module). The tool is built once, in debug mode
# and a scratch path of its own, so that it never touches the program's build (27 s, against 69 s
# in release, on 2 busy cores). The page is dated by the last commit, not the day it is built. Its
# blank lines (between paragraphs of the help) become .Pp, mdoc's paragraph break: man renders
# them without warnings.
MAN_TOOL  := .build/tools/debug/generate-manual
MAN_DATE   = $(shell git log -1 --format=%cs 2>/dev/null)
man: $(INSTALL_BUILD) $(MAN_TOOL)
	mkdir -p .build/man
	$(MAN_TOOL) $(BIN) --output-directory .build/man $(if $(MAN_DATE),--date $(MAN_DATE))
	sed -i 's/^$$/.Pp/' .build/man/lstmchat.1

$(MAN_TOOL):
	$(SWIFT) build --product generate-manual --scratch-path .build/tools

completions: $(INSTALL_BUILD)
	mkdir -p .build/completions
	for shell in bash zsh fish; do $(BIN) --generate-completion-script $$shell > .build/completions/lstmchat.$$shell; done

# `man`, which install-check renders the man page with (man-db brings groff-base, its formatter).
man-deps:
	@dpkg -s man-db >/dev/null 2>&1 || { \
	  echo "Installing man-db ..."; \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y man-db; }

# `make install` tried in a temporary prefix: from another directory (/), so that the models can
# only come from PREFIX/share/lstmchat, the installed program answers a question and writes text;
# its man page renders; every file is where INSTALLED says, and `make uninstall` leaves none.
# Then the same files staged with DESTDIR. `make test` runs it.
INSTALL_FILES = find "$$root" \( -type f -o -type l \) | sed "s|^$$root/||" | sort
install-check: man-deps
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	expected=$$(printf '%s\n' $(INSTALLED) | sort); \
	root=$$tmp/prefix; \
	$(MAKE) --no-print-directory install PREFIX=$$root; \
	[ "$$($(INSTALL_FILES))" = "$$expected" ] || { echo "install-check: installed files are not INSTALLED"; $(INSTALL_FILES); exit 1; }; \
	cd /; \
	echo '$$ lstmchat ask hello'; \
	answer=$$(env -u LSTMCHAT_MODELS $$root/bin/lstmchat ask hello); echo "$$answer"; [ -n "$$answer" ]; \
	echo '$$ lstmchat generate --length 50 --seed 1'; \
	text=$$(env -u LSTMCHAT_MODELS $$root/bin/lstmchat generate --length 50 --seed 1); echo "$$text"; [ -n "$$text" ]; \
	echo '$$ man -l PREFIX/share/man/man1/lstmchat.1'; \
	MANPAGER=cat man -l $$root/share/man/man1/lstmchat.1 | grep '^LSTMCHAT(1)'; \
	cd $(CURDIR); \
	$(MAKE) --no-print-directory uninstall PREFIX=$$root; \
	[ -z "$$($(INSTALL_FILES))" ] || { echo "install-check: uninstall left files"; $(INSTALL_FILES); exit 1; }; \
	root=$$tmp/stage; \
	$(MAKE) --no-print-directory install DESTDIR=$$root PREFIX=/usr >/dev/null; \
	[ "$$($(INSTALL_FILES))" = "$$(echo "$$expected" | sed 's|^|usr/|')" ] || { echo "install-check: DESTDIR staged other files"; $(INSTALL_FILES); exit 1; }; \
	$(MAKE) --no-print-directory uninstall DESTDIR=$$root PREFIX=/usr >/dev/null; \
	[ -z "$$($(INSTALL_FILES))" ] || { echo "install-check: uninstall with DESTDIR left files"; exit 1; }; \
	echo "install-check: install, ask and generate from /, man page, uninstall: ok"

# The bundled model: the English ChatterBot corpus, the default recipe and a fixed seed, until 99%
# greedy exact match on all its questions (--exact-match-sample 0: the figure after the last epoch
# is the one eval prints below); at 99% it writes 90% of coding.yml's code as written. The run trains in
# checkpoints/default-run/ (resumable); only the model and its loss log are kept in the repository.
MODEL_FLAGS := --until-accuracy 0.99 --exact-match-sample 0 --epochs 60 --seed 1
model: build
	rm -rf checkpoints/default-run
	$(BIN) train datasets/chatterbot-english --out checkpoints/default-run $(MODEL_FLAGS)
	mkdir -p checkpoints/default
	cp checkpoints/default-run/model.safetensors checkpoints/default-run/loss.csv checkpoints/default/
	$(BIN) plot checkpoints/default/loss.csv -o checkpoints/default/loss.svg
	$(BIN) eval --checkpoint checkpoints/default datasets/chatterbot-english

# The bundled language model: a character LSTM on the King James Genesis and Exodus
# (datasets/kjv/, public domain), truncated backpropagation through time over windows of 100,
# the last 5% held out. About 4 minutes on 2 busy cores: 10 epochs, after which the held-out
# loss barely moves while the training loss keeps falling (a 400-unit LSTM for 7 epochs took
# twice as long for the same held-out loss). A run left over from before is started afresh.
# eval scores the held-out share: the last 5% of the characters (one token each), which is
# the end of genesis.txt (the files are read in name order).
LM_FLAGS := --task lm --val-fraction 0.05 --epochs 10 --seq-length 100 --layers 1 --hidden 256 --embed 32 --dropout 0 --lr 0.004 --lr-decay 0.88 --batch-size 32 --seed 1
model-lm: build
	rm -rf checkpoints/kjv-lm-run
	$(BIN) train datasets/kjv --out checkpoints/kjv-lm-run $(LM_FLAGS)
	mkdir -p checkpoints/kjv-lm
	cp checkpoints/kjv-lm-run/model.safetensors checkpoints/kjv-lm-run/loss.csv checkpoints/kjv-lm/
	$(BIN) plot checkpoints/kjv-lm/loss.csv -o checkpoints/kjv-lm/loss.svg
	tail -c $$(( $$(cat datasets/kjv/*.txt | wc -c) / 20 )) datasets/kjv/genesis.txt > checkpoints/kjv-lm-run/held-out.txt
	$(BIN) eval --checkpoint checkpoints/kjv-lm checkpoints/kjv-lm-run/held-out.txt
	$(BIN) generate --checkpoint checkpoints/kjv-lm --seed 1 --temperature 0.8 --length 400

# The example classifier: the ChatterBot English questions labelled by their file's first
# category, 10% held out; the held-out accuracy is in the epoch lines, beside the majority baseline.
CLASSIFY_FLAGS := --task classify --val-fraction 0.1 --epochs 15 --layers 1 --hidden 128 --embed 64 --dropout 0.2 --lr 0.005 --batch-size 32 --seed 1
model-classify: build
	$(BIN) train datasets/chatterbot-english --out checkpoints/chatterbot-categories $(CLASSIFY_FLAGS)

# lstmchat beside PyTorch's CPU nn.LSTM on the same workloads, at 2 and 1 threads: one table
# of ratios (bench/compare.py). PyTorch comes from PyPI into a virtual environment in .build/.
VENV := .build/bench-venv
bench: build $(VENV)/bin/torch-installed
	python3 bench/compare.py --lstmchat $(BIN) --python $(VENV)/bin/python --loaded

# Learning quality beside PyTorch in the same run: lstmchat's default recipe and
# bench/peer_torch_corpus.py, each until 95% exact match on the bundled corpus; epochs, wall
# seconds and the reworded-question score of each (bench/quality.py). REPEAT=3 repeats them.
REPEAT ?= 1
bench-quality: build $(VENV)/bin/torch-installed
	python3 bench/quality.py --lstmchat $(BIN) --python $(VENV)/bin/python --repeat $(REPEAT)

# `lstmchat serve` under wrk's load at 1 and 64 connections, beside itself answering one question
# at a time (--max-batch 1) and beside bench/peer_fastapi_server.py (the bundled model in PyTorch
# behind FastAPI + uvicorn), in the same run (bench/serve.py); a JSON record in bench/results/.
bench-serve: build serve-deps $(VENV)/bin/torch-installed
	$(VENV)/bin/pip install --quiet fastapi uvicorn
	python3 bench/serve.py --lstmchat $(BIN) --python $(VENV)/bin/python

# `lstmchat serve` against real clients (serve-test/serve_test.py): the openai client, the chat
# page in headless Chromium (it retakes docs/serve-chat.png), schemathesis, bad input and
# connection churn, memory over 100,000 requests. Not part of `make test`: it needs Chromium, wrk
# and PyPI packages, which serve-deps installs.
SERVE_VENV := .build/serve-venv
SERVE_DEBS := chromium chromium-driver wrk
serve-test: build serve-deps
	$(SERVE_VENV)/bin/python serve-test/serve_test.py --lstmchat $(BIN)

serve-deps: $(SERVE_VENV)/bin/serve-installed
	@dpkg -s $(SERVE_DEBS) >/dev/null 2>&1 || { \
	  echo "Installing $(SERVE_DEBS) ..."; \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y $(SERVE_DEBS); }

$(SERVE_VENV)/bin/serve-installed: serve-test/requirements.txt
	@python3 -m venv --help >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv; }
	python3 -m venv $(SERVE_VENV)
	$(SERVE_VENV)/bin/pip install --quiet -r serve-test/requirements.txt
	touch $@

# The versions pytorch/pyproject.toml pins. PyPI's Linux torch brings CUDA; for the CPU wheel alone,
# TORCH_INDEX=https://download.pytorch.org/whl/cpu (torch==2.13.0 then takes 2.13.0+cpu).
TORCH_INDEX ?=
$(VENV)/bin/torch-installed:
	@python3 -m venv --help >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) torch==2.13.0 numpy==2.4.6
	touch $@

# lstmchat and the PyTorch trainer in pytorch/ checked against each other (pytorch/interop.py):
# tokens, logits and greedy answers, a 2-process torchrun, each resuming the other's runs, the
# same words dropped by --word-dropout. Runs the trainer's own tests (pytorch-test) first.
# Not part of `make test`: it needs PyTorch, from the virtual environment of `make bench`.
interop: build pytorch-test
	$(VENV)/bin/python pytorch/interop.py --lstmchat $(BIN)

# The PyTorch trainer's own tests (pytorch/tests, no lstmchat binary needed): the package
# installed from pytorch/ (with its pinned safetensors, PyYAML and regex, and pytest) into the
# virtual environment of `make bench`. Not part of `make test`.
pytorch-test: $(VENV)/bin/torch-installed
	$(VENV)/bin/pip install --quiet './pytorch[test]'
	$(VENV)/bin/python -m pytest -q pytorch/tests

clean:
	rm -rf .build .build-fuzz
