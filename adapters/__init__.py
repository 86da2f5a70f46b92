"""LoRA adapters for logitscope: train with peft, convert to GGUF, inspect and list.

The engine loads and hot-swaps GGUF adapters (engine/llama_backend.py); this package makes them.
Only adapters/train.py and adapters/hf_base.py need the `train` extra (torch, transformers,
peft) and they import it lazily, so converting, inspecting and listing work without it.
"""
