"""logitscope's engine: llama.cpp in a worker process, behind a small typed interface.

Import the public names from here; nothing outside this package imports llama_cpp.
"""

__version__ = "0.1.0"

from .backend import Backend, CompareStream, GenerationStream  # noqa: E402
from .default_model import default_model_path  # noqa: E402
from .errors import (  # noqa: E402
    AdapterError,
    ContextOverflowError,
    EngineClosedError,
    EngineError,
    ModelLoadError,
    RequestError,
    TemplateError,
    WorkerDiedError,
)
from .local import LocalBackend  # noqa: E402
from .types import *  # noqa: E402,F401,F403

__all__ = [
    "AdapterError", "Backend", "CompareStream", "ContextOverflowError", "EngineClosedError", "EngineError",
    "GenerationStream", "LocalBackend", "ModelLoadError", "RequestError", "TemplateError", "WorkerDiedError",
    "default_model_path",
]
