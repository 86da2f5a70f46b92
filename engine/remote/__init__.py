"""Remote engines: the Backend protocol spoken over HTTP to a server that runs the model.

A model too large for one machine runs behind llama.cpp's server (llama-server, possibly over
rpc-server workers) or an OpenAI-compatible server; `--engine URL` points logitscope at it
(docs/remote.md). Standard library HTTP only; nothing here loads a model.

Modules:
- `backend`: RemoteBackend, the Backend implementation, and its generation stream.
- `endpoint`: the `--engine` URL: dialect prefix, credentials taken off, the safe form recorded.
- `http`: JSON calls with timeouts and retries (idempotent calls only), server-sent events, cancel.
- `llamacpp`: llama.cpp's server's native API (/props, /tokenize, /completion, /lora-adapters).
- `openai`: OpenAI-compatible servers (chat completions with logprobs).
- `openai_scoring`: forced scoring there (`/v1/completions` echo + logprobs; vLLM prompt_logprobs),
  the prompt rendered with a local GGUF's template (`model_template`: read from its header).
- `lora`: a request's adapters as the server's per-request `lora` ids and scales.
- `topk`: token steps from a top-k report: entropy and rank over the top-k plus a rest bucket.
- `errors`: unreachable, not a supported server, auth refused, model mismatch, unsupported.
"""

from .backend import RemoteBackend
from .endpoint import EngineUrl, parse_engine_url, safe_url

__all__ = ["EngineUrl", "RemoteBackend", "parse_engine_url", "safe_url"]
